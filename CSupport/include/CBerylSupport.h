// CBerylSupport: the few things Swift cannot do well by itself on Linux.
//
// Every symbol is prefixed `bs_`. Functions return 0 (or a non-negative count) on success and
// -errno on failure; they never retry, loop or decide anything: the Swift wrapper
// (`Sources/Platform/Syscalls.swift`, `MappedRegion.swift`) owns EINTR handling, short writes and fault injection.
// lz4.h, xxhash.h and zlib.h are included only by the .c file, so Swift never sees them.
#ifndef C_BERYL_SUPPORT_H
#define C_BERYL_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---- files ---------------------------------------------------------------------------------

/// Why C: `open(2)` is variadic (mode argument), which Swift cannot call directly.
int bs_open(const char *path, int flags, uint32_t mode);

/// Why C: gives Swift one errno-returning entry point for pwrite(2); a single call, may be short.
int64_t bs_pwrite(int fd, const void *buf, size_t len, int64_t offset);

/// Why C: errno-returning wrapper around pread(2); a single call, may be short.
int64_t bs_pread(int fd, void *buf, size_t len, int64_t offset);

/// Why C: errno-returning wrappers so the Swift side can count and fault-inject them uniformly.
int bs_fdatasync(int fd);
int bs_fsync(int fd);

/// Why C: futex(2) has no libc wrapper, and Swift cannot take the address of an atomic to wait
/// on it. A 32-bit word that threads wait on until it changes (`WaitWord.swift`): load and bump
/// are atomic (acquire/release); wait returns at once when the word no longer holds `expected`
/// (and may return spuriously); wake wakes at most `count` waiters.
uint32_t bs_word_load(const uint32_t *word);
void bs_word_bump(uint32_t *word);
int bs_futex_wait(uint32_t *word, uint32_t expected);
int bs_futex_wake(uint32_t *word, int count);

/// Why C: fsync of a directory needs open(O_DIRECTORY|O_RDONLY); kept next to the other syncs.
int bs_fsync_directory(const char *path);

/// Why C: `fallocate(2)` is a GNU extension that Swift's Glibc module does not import.
int bs_fallocate(int fd, int64_t offset, int64_t length);

/// Why C: errno-returning ftruncate(2) and fstat size, for the same uniform wrapper.
int bs_ftruncate(int fd, int64_t length);
int64_t bs_file_size(int fd);
/// 1 if fd is a regular file, 0 if not, -errno on failure.
int bs_is_regular(int fd);

/// Why C: flock(2) with LOCK_EX|LOCK_NB; returns -EWOULDBLOCK when another process holds it.
int bs_lock_exclusive(int fd);

// ---- memory mapping --------------------------------------------------------------------------

/// Why C: MAP_FAILED is a macro cast Swift imports poorly; returns NULL and sets *err instead.
void *bs_mmap_read(int fd, size_t length, int *err);

/// A shared read-write mapping (the writer copies frames into it). Same error convention.
void *bs_mmap_write(int fd, size_t length, int *err);

int bs_munmap(void *address, size_t length);

/// advice: 0 normal, 1 sequential, 2 random, 3 willneed, 4 populate (read), 5 populate (write);
/// `MappedRegion.Advice` names them. Why C: MADV_POPULATE_* are newer than Swift's Glibc headers.
int bs_madvise(void *address, size_t length, int advice);

// ---- checksums and compression -------------------------------------------------------------

/// Why C: XXH3-64 from the system libxxhash, dispatched at run time to AVX2/AVX-512 (3x faster
/// than the SSE2 baseline on this machine's 4 KiB inputs).
uint64_t bs_xxh3_64(const void *data, size_t length, uint64_t seed);

/// Why C: zlib's CRC-32 (IEEE), needed to read and write the legacy EOS changelog format.
uint32_t bs_crc32(uint32_t crc, const void *data, size_t length);

/// Why C: LZ4 block compression from the system liblz4.
int bs_lz4_compress_bound(int input_size);
/// Returns the compressed size, or 0 when `capacity` is too small.
int bs_lz4_compress(const void *source, int source_size, void *destination, int capacity);
/// Returns the decompressed size, or a negative value for malformed input (never reads or
/// writes out of bounds: LZ4_decompress_safe).
int bs_lz4_decompress(const void *source, int source_size, void *destination, int capacity);

#ifdef __cplusplus
}
#endif
#endif
