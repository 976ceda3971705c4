import BerylTestSupport
import Coordination
import Glibc
import Testing

/// The client against a real 3-member etcd cluster on loopback ports (skipped where etcd is not
/// installed).
@Suite(.serialized, .enabled(if: EtcdCluster.available, Comment(rawValue: EtcdCluster.skipReason)))
struct EtcdClientTests {
    func key(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test func putGetDeleteAndCompareAndSwap() throws {
        let cluster = try EtcdCluster()
        let client = EtcdClient(endpoints: cluster.endpoints)
        #expect(try client.get(key("/t/absent")) == nil)

        // Create only if absent: the first CAS wins, the second sees the first's value.
        guard case .swapped(let created) = try client.compareAndSwap(key("/t/epoch"), expectedModRevision: 0, value: key("1")) else {
            Issue.record("creating an absent key by CAS failed")
            return
        }
        guard case .conflict(let current?) = try client.compareAndSwap(key("/t/epoch"), expectedModRevision: 0, value: key("9")) else {
            Issue.record("a second create of the same key succeeded")
            return
        }
        #expect(current.valueText == "1")
        #expect(current.modRevision == created)

        // Swap from the revision read: succeeds once; the stale revision then conflicts.
        let read = try #require(try client.get(key("/t/epoch")))
        #expect(read.version == 1 && read.createRevision == created)
        guard case .swapped(let second) = try client.compareAndSwap(key("/t/epoch"), expectedModRevision: read.modRevision, value: key("2")) else {
            Issue.record("CAS from the current revision failed")
            return
        }
        #expect(second > created)
        guard case .conflict(let now?) = try client.compareAndSwap(key("/t/epoch"), expectedModRevision: read.modRevision, value: key("3")) else {
            Issue.record("CAS from a stale revision succeeded")
            return
        }
        #expect(now.valueText == "2" && now.version == 2)

        // A transaction on the value, with a get in the branch that ran.
        let txn = try client.transaction(compare: [EtcdCompare(key: key("/t/epoch"), .equal, .value(key("2")))],
                                         success: [.put(key: key("/t/other"), value: key("x"), lease: 0), .get(key: key("/t/epoch"))])
        #expect(txn.succeeded)
        #expect(txn.results.count == 2)
        if case .get(let kvs) = txn.results[1] { #expect(kvs.first?.valueText == "2") } else { Issue.record("no get result") }
        let refused = try client.transaction(compare: [EtcdCompare(key: key("/t/epoch"), .greater, .version(5))],
                                             success: [.delete(key: key("/t/other"))], failure: [.get(key: key("/t/other"))])
        #expect(!refused.succeeded)
        #expect(refused.results == [.get([try #require(try client.get(key("/t/other")))])])

        let revision = try client.put(key("/t/bin"), [0, 255, 10, 34])
        #expect(revision > second)
        #expect(try client.get(key("/t/bin"))?.value == [0, 255, 10, 34])
        #expect(try client.delete(key("/t/bin")) == 1)
        #expect(try client.delete(key("/t/bin")) == 0)
        #expect(try client.get(key("/t/bin")) == nil)
    }

    @Test func leaseExpiryDeletesItsKeyAndRevokeDeletesAtOnce() throws {
        let cluster = try EtcdCluster()
        let client = EtcdClient(endpoints: cluster.endpoints)
        let lease = try client.grantLease(ttl: 2)
        #expect(lease.ttl >= 2)
        guard case .swapped = try client.compareAndSwap(key("/t/leader"), expectedModRevision: 0, value: key("a"), lease: lease.id) else {
            Issue.record("leader key not created")
            return
        }
        #expect(try client.get(key("/t/leader"))?.lease == lease.id)
        #expect(try client.keepAlive(lease.id) >= 2)
        let left = try #require(try client.timeToLive(lease.id))
        #expect(left > 0 && left <= lease.ttl)

        // Not renewed: etcd deletes the key once the TTL has passed (checked up to TTL + 3 s).
        let granted = ContinuousClock.now
        while try client.get(key("/t/leader")) != nil, ContinuousClock.now - granted < .seconds(lease.ttl + 3) {
            usleep(100_000)
        }
        #expect(try client.get(key("/t/leader")) == nil)
        #expect(ContinuousClock.now - granted >= .seconds(lease.ttl - 1))
        #expect(try client.keepAlive(lease.id) == 0)
        #expect(try client.timeToLive(lease.id) == nil)

        let second = try client.grantLease(ttl: 30)
        try client.put(key("/t/leader"), key("b"), lease: second.id)
        try client.revokeLease(second.id)
        #expect(try client.get(key("/t/leader")) == nil)
        try client.revokeLease(second.id)  // an unknown lease is not an error
        #expect(try client.keepAlive(second.id) == 0)
    }

    @Test func aMemberDownOrPausedChangesNothing() throws {
        let cluster = try EtcdCluster()
        let client = EtcdClient(endpoints: cluster.endpoints, attemptTimeout: .milliseconds(700))
        try client.put(key("/t/k"), key("0"))

        // Killing the raft leader makes the others elect a new one (about one election timeout,
        // 1 s here), during which writes time out; after that, everything works on two members.
        cluster.kill(0)
        try cluster.waitUntilWritable()
        try client.put(key("/t/k"), key("1"))
        #expect(try client.get(key("/t/k"))?.valueText == "1")
        // The lease must outlive every wait below (a member's rejoin, a new raft election, the paused
        // member's timeouts: together more than 5 s on a loaded machine), or the renewals at the end
        // fail for its expiry, not for the paused member. Expiry is `leaseExpiryDeletesItsKey...`'s.
        let lease = try client.grantLease(ttl: 60)
        #expect(try client.keepAlive(lease.id) > 0)

        try cluster.start(0)
        try cluster.waitUntilWritable()
        let member0 = EtcdClient(endpoints: [cluster.endpoints[0]], attemptTimeout: .seconds(3))
        #expect(try member0.get(key("/t/k"))?.valueText == "1", "member 0 is back")
        // A paused member holds the connection and says nothing. A read gives it one attempt, then
        // the next member answers; a write given up on there is not sent elsewhere (it may have been
        // applied), and the next call starts with the next member.
        cluster.pause(0)
        try cluster.waitUntilWritable()  // a new raft leader, if member 0 was the leader
        let fresh = EtcdClient(endpoints: cluster.endpoints, attemptTimeout: .milliseconds(700))
        #expect(try fresh.get(key("/t/k"))?.valueText == "1")
        let writer = EtcdClient(endpoints: cluster.endpoints, attemptTimeout: .milliseconds(700))
        #expect {
            try writer.put(key("/t/k"), key("maybe"))
        } throws: { error in
            guard let error = error as? EtcdError, case .noMemberAnswered(_, let attempts) = error else { return false }
            return attempts == [.timedOut(cluster.endpoints[0], path: "/v3/kv/put", seconds: 0.7)] && !error.requestNotApplied
        }
        for i in 0..<3 {
            try writer.put(key("/t/k"), key("p\(i)"))
            #expect(try writer.get(key("/t/k"))?.valueText == "p\(i)")
            #expect(try fresh.keepAlive(lease.id) > 0)
        }
        cluster.resume(0)
    }

    @Test func quorumLostGivesATimeoutNamingEveryMember() throws {
        let cluster = try EtcdCluster()
        let client = EtcdClient(endpoints: cluster.endpoints, attemptTimeout: .milliseconds(800))
        let lease = try client.grantLease(ttl: 10)
        try client.put(key("/t/k"), key("before"))
        cluster.kill(1)
        cluster.stop(2)

        let started = ContinuousClock.now
        #expect {
            _ = try client.get(key("/t/k"), timeout: .seconds(3))
        } throws: { error in
            guard let error = error as? EtcdError, case .noMemberAnswered(let path, let attempts) = error else { return false }
            let text = error.description
            return path == "/v3/kv/range" && error.isTimeout && attempts.count == 3
                && text.contains("no answer within 0.8 s") && text.contains("cannot connect")
                && cluster.endpoints.allSatisfy { text.contains($0.description) }
        }
        #expect(ContinuousClock.now - started < .seconds(4))
        // A write that timed out may have been applied: it is not tried on the other members.
        do {
            try client.put(key("/t/k"), key("during"), timeout: .seconds(3))
            Issue.record("a write succeeded without quorum")
        } catch {
            #expect(error.isTimeout || error.description.contains("no leader"))
        }
        // Lease renewals are not raft proposals: an etcd leader cut off from its quorum renews
        // them until it steps down (within two election timeouts, 2 s here), then nobody does.
        var renewalFailed = false
        while !renewalFailed, ContinuousClock.now - started < .seconds(8) {
            do { _ = try client.keepAlive(lease.id, timeout: .seconds(1)) } catch { renewalFailed = true }
            usleep(100_000)
        }
        #expect(renewalFailed)

        try cluster.start(1)
        try cluster.waitUntilWritable()
        #expect(try client.get(key("/t/k")) != nil)
    }

}

/// Members that do not exist: no etcd needed.
@Suite struct EtcdUnreachableTests {
    @Test func deadPortsAreUnreachableQuickly() throws {
        guard let a = freeLoopbackPort(), let b = freeLoopbackPort() else { return }
        let client = try EtcdClient(url: "etcd://127.0.0.1:\(a),127.0.0.1:\(b)")
        let started = ContinuousClock.now
        #expect {
            _ = try client.get(Array("/x".utf8))
        } throws: { error in
            guard let error = error as? EtcdError, case .noMemberAnswered(_, let attempts) = error else { return false }
            return attempts.count == 2 && error.requestNotApplied && !error.isTimeout
                && error.description.contains("127.0.0.1:\(a): cannot connect") && error.description.contains("refused")
        }
        #expect(ContinuousClock.now - started < .seconds(1))
    }
}
