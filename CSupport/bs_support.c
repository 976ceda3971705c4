// See include/CBerylSupport.h for why each function is in C. No parsing or policy lives here.
#include "CBerylSupport.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lz4.h>
#include <xxhash.h>
#include <zlib.h>
#if defined(__x86_64__) && !defined(XXH_INLINE_ALL) && __has_include(<xxh_x86dispatch.h>)
#include <xxh_x86dispatch.h> /* XXH3_64bits_withSeed -> runtime AVX2/AVX-512 dispatch */
#endif

int bs_open(const char *path, int flags, uint32_t mode) {
    int fd = open(path, flags | O_CLOEXEC, (mode_t)mode);
    return fd < 0 ? -errno : fd;
}

int64_t bs_pwrite(int fd, const void *buf, size_t len, int64_t offset) {
    ssize_t n = pwrite(fd, buf, len, (off_t)offset);
    return n < 0 ? -errno : (int64_t)n;
}

int64_t bs_pread(int fd, void *buf, size_t len, int64_t offset) {
    ssize_t n = pread(fd, buf, len, (off_t)offset);
    return n < 0 ? -errno : (int64_t)n;
}

int bs_fdatasync(int fd) { return fdatasync(fd) < 0 ? -errno : 0; }
int bs_fsync(int fd) { return fsync(fd) < 0 ? -errno : 0; }

uint32_t bs_word_load(const uint32_t *word) { return __atomic_load_n(word, __ATOMIC_ACQUIRE); }
void bs_word_bump(uint32_t *word) { __atomic_fetch_add(word, 1, __ATOMIC_RELEASE); }

int bs_futex_wait(uint32_t *word, uint32_t expected) {
    return syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0) < 0 ? -errno : 0;
}

int bs_futex_wake(uint32_t *word, int count) {
    long n = syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, count < 0 ? INT_MAX : count, NULL, NULL, 0);
    return n < 0 ? -errno : (int)n;
}

int bs_fsync_directory(const char *path) {
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -errno;
    int rc = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return rc;
}

int bs_fallocate(int fd, int64_t offset, int64_t length) {
    return fallocate(fd, 0, (off_t)offset, (off_t)length) < 0 ? -errno : 0;
}

int bs_ftruncate(int fd, int64_t length) { return ftruncate(fd, (off_t)length) < 0 ? -errno : 0; }

int64_t bs_file_size(int fd) {
    struct stat st;
    if (fstat(fd, &st) < 0) return -errno;
    return (int64_t)st.st_size;
}

int bs_is_regular(int fd) {
    struct stat st;
    if (fstat(fd, &st) < 0) return -errno;
    return S_ISREG(st.st_mode) ? 1 : 0;
}

int bs_lock_exclusive(int fd) { return flock(fd, LOCK_EX | LOCK_NB) < 0 ? -errno : 0; }

void *bs_mmap_read(int fd, size_t length, int *err) {
    void *p = mmap(NULL, length, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        *err = errno;
        return NULL;
    }
    *err = 0;
    return p;
}

void *bs_mmap_write(int fd, size_t length, int *err) {
    void *p = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        *err = errno;
        return NULL;
    }
    *err = 0;
    return p;
}

int bs_munmap(void *address, size_t length) { return munmap(address, length) < 0 ? -errno : 0; }

int bs_madvise(void *address, size_t length, int advice) {
    int a = MADV_NORMAL;
    switch (advice) {
    case 1: a = MADV_SEQUENTIAL; break;
    case 2: a = MADV_RANDOM; break;
    case 3: a = MADV_WILLNEED; break;
    case 4: a = 22; break; /* MADV_POPULATE_READ */
    case 5: a = 23; break; /* MADV_POPULATE_WRITE */
    default: break;
    }
    return madvise(address, length, a) < 0 ? -errno : 0;
}

uint64_t bs_xxh3_64(const void *data, size_t length, uint64_t seed) {
    return (uint64_t)XXH3_64bits_withSeed(data, length, (XXH64_hash_t)seed);
}

uint32_t bs_crc32(uint32_t crc, const void *data, size_t length) {
    return (uint32_t)crc32((uLong)crc, (const Bytef *)data, (uInt)length);
}

int bs_lz4_compress_bound(int input_size) { return LZ4_compressBound(input_size); }

int bs_lz4_compress(const void *source, int source_size, void *destination, int capacity) {
    return LZ4_compress_default((const char *)source, (char *)destination, source_size, capacity);
}

int bs_lz4_decompress(const void *source, int source_size, void *destination, int capacity) {
    return LZ4_decompress_safe((const char *)source, (char *)destination, source_size, capacity);
}
