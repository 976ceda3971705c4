import CBerylSupport

/// A 32-bit word that threads sleep on until it changes (a futex), without a mutex: group commit's
/// waiters wait on one for their flush to end and then read the durable end atomically, instead
/// of all re-acquiring the log's lock at once after a broadcast (pthread condition variables
/// hand every woken waiter back its mutex; with ten writers released per flush on two cores that
/// queue cost the released writers the time they needed to join the next flush).
///
/// Use: read `value` while holding the lock that guards the event, release the lock, then
/// `wait(while:)` that value; whoever signals bumps the word under the same lock, then wakes.
/// A bump between the read and the wait makes the wait return at once, so no wake-up is lost.
public final class WaitWord: @unchecked Sendable {
    // @unchecked: the word is only read and written through the atomic and futex calls.
    private let word: UnsafeMutablePointer<UInt32>

    public init() {
        word = .allocate(capacity: 1)
        word.initialize(to: 0)
    }

    deinit { word.deallocate() }

    /// The current value (acquire).
    public var value: UInt32 { bs_word_load(word) }

    /// Changes the value (release); waiters that read the old one stop waiting at their next check.
    public func bump() { bs_word_bump(word) }

    /// Sleeps while the word holds `seen`. Returns on a wake-up, a change, a signal, or spuriously:
    /// callers re-check their condition.
    public func wait(while seen: UInt32) { _ = bs_futex_wait(word, seen) }

    /// Wakes at most `count` sleepers (all when nil).
    public func wake(_ count: Int? = nil) { _ = bs_futex_wake(word, Int32(count ?? -1)) }
}
