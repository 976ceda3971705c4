import BerylTestSupport
import Coordination
import Glibc
import Testing

@Suite struct LeaseValidityTests {
    @Test func validFromTheSendTimeMinusTheMargin() {
        var v = LeaseValidity(margin: 0.5)
        #expect(!v.isValid(at: 0))
        v.renewed(sentAt: 10, ttl: 3)
        #expect(v.validUntil == 12.5)
        #expect(v.isValid(at: 12.49) && !v.isValid(at: 12.5))
        #expect(v.remaining(at: 11) == 1.5 && v.remaining(at: 20) == 0)
        // An answer to an older keep-alive never shortens it; a lease gone ends it at once.
        v.renewed(sentAt: 9, ttl: 3)
        #expect(v.validUntil == 12.5)
        v.renewed(sentAt: 11, ttl: 3)
        #expect(v.validUntil == 13.5)
        v.renewed(sentAt: 12, ttl: 0)
        #expect(!v.isValid(at: 12))
        v.renewed(sentAt: 12, ttl: 3)
        v.invalidate()
        #expect(!v.isValid(at: 12))
    }
}

/// Two contenders for one prefix on a real 3-member cluster (skipped where etcd is not installed).
@Suite(.serialized, .enabled(if: EtcdCluster.available, Comment(rawValue: EtcdCluster.skipReason)))
struct LeaderElectionTests {
    static let origin = ContinuousClock.now

    @Test func oneHolderAtATimeAndTheOtherTakesOverAfterTheTTL() throws {
        let cluster = try EtcdCluster()
        let client = EtcdClient(endpoints: cluster.endpoints)
        let a = LeaderElection(client: client, prefix: "/beryl/test", name: "a:1", ttl: 2)
        let b = LeaderElection(client: client, prefix: "/beryl/test/", name: "b:2", ttl: 2)
        let clock = { seconds(ContinuousClock.now) }

        guard case .won(let won) = try a.campaign(now: clock) else {
            Issue.record("the first campaign lost")
            return
        }
        #expect(won.holder == "a:1" && won.epoch == 0 && won.epochRevision == 0)
        #expect(a.validity.isValid(at: clock()))
        guard case .held(let seen) = try b.campaign(now: clock) else {
            Issue.record("a second holder")
            return
        }
        #expect(seen.holder == "a:1" && seen.holderLease == a.lease?.id)
        #expect(b.lease == nil && !b.validity.isValid(at: clock()))

        // Only the holder moves the epoch, and only from the value it read.
        #expect(try a.moveEpoch(from: won, to: 5) == .moved(5))
        guard case .refused(let after) = try a.moveEpoch(from: won, to: 6) else {
            Issue.record("a stale epoch moved")
            return
        }
        #expect(after.epoch == 5)
        guard case .refused = try b.moveEpoch(from: after, to: 7) else {
            Issue.record("a non-holder moved the epoch")
            return
        }
        // Renewals keep it: three TTLs later, a still holds the key.
        for _ in 0..<9 {
            #expect(try a.renew(now: clock))
            if case .won = try b.campaign(now: clock) { Issue.record("b won a key a renews") }
            usleep(650_000)
        }
        #expect(try a.read().holder == "a:1")

        // a stops renewing: its own validity ends before etcd deletes the key, then b wins.
        var invalidAt: Double?
        var takenAt: Double?
        let stopped = clock()
        while takenAt == nil, clock() - stopped < 6 {
            if invalidAt == nil, !a.validity.isValid(at: clock()) { invalidAt = clock() }
            if case .won = try b.campaign(now: clock) { takenAt = clock() }
            usleep(50_000)
        }
        let invalid = try #require(invalidAt)
        let taken = try #require(takenAt)
        #expect(invalid < taken)
        #expect(!(try a.renew(now: clock)))  // the lease is gone
        #expect(a.lease == nil)
        let state = try b.read()
        #expect(state.holder == "b:2" && state.epoch == 5)
        #expect(try b.moveEpoch(from: state, to: 6) == .moved(6))
        guard case .held = try a.campaign(now: clock) else {
            Issue.record("the old holder won back a held key")
            return
        }

        // Resigning hands the key over at once.
        try b.resign()
        #expect(!b.validity.isValid(at: clock()))
        guard case .won(let back) = try a.campaign(now: clock) else {
            Issue.record("the key was not free after resign")
            return
        }
        #expect(back.epoch == 6)
    }

    @Test func quorumLostEndsTheValidityWithoutATakeover() throws {
        let cluster = try EtcdCluster()
        let client = EtcdClient(endpoints: cluster.endpoints, attemptTimeout: .milliseconds(400))
        let a = LeaderElection(client: client, prefix: "/beryl/q", name: "a:1", ttl: 2)
        let clock = { seconds(ContinuousClock.now) }
        guard case .won = try a.campaign(now: clock) else {
            Issue.record("campaign lost")
            return
        }
        cluster.kill(1)
        cluster.stop(2)
        let lost = clock()
        var failures = 0
        while a.validity.isValid(at: clock()) {
            do { _ = try a.renew(now: clock, timeout: .milliseconds(600)) } catch { failures += 1 }
            // An isolated etcd leader renews leases until it steps down (up to two election
            // timeouts: 2 s here); then the validity (TTL - margin = 1.67 s) runs out.
            #expect(clock() - lost < 5)
            if clock() - lost > 5 { break }
        }
        #expect(failures > 0)
        #expect(!a.validity.isValid(at: clock()))
    }
}

func seconds(_ instant: ContinuousClock.Instant) -> Double {
    let d = instant - LeaderElectionTests.origin
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}
