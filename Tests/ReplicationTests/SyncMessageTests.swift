import BerylTestSupport
import Namespace
import Testing
@testable import Replication

/// Every message round-trips; every truncation and 10,000 random frames decode to a typed error,
/// never a trap.
@Suite struct SyncMessageTests {
    static let nonce = (0..<32).map { UInt8($0) }
    static let mac = (0..<32).map { UInt8(255 - $0) }
    static let header = (0..<64).map { UInt8(truncatingIfNeeded: $0 * 7) }

    /// At least one example of every case, with empty and non-trivial arrays and strings.
    static let samples: [SyncMessage] = [
        .challenge(version: 1, nonce: nonce, epoch: 7),
        .challenge(version: .max, nonce: mac, epoch: .max),
        .proof(mac: mac, nonce: nonce, epoch: 0),
        .accepted(mac: mac, epoch: 42, state: .masterReadWrite),
        .accepted(mac: nonce, epoch: 1, state: .invalid),
        .refused(reason: "authentication failed"),
        .refused(reason: ""),
        .subscribe([]),
        .subscribe([
            LogSubscription(kind: .directories, identity: 1, length: 64, lastSequence: 0, tailFingerprint: 0),
            LogSubscription(kind: .files, identity: .max, length: 1 << 40, lastSequence: 123_456, tailFingerprint: 0xDEAD_BEEF),
        ]),
        .logHeader(kind: .files, header: header, end: 4096, appliedThrough: 0),
        .logHeader(kind: .directories, header: header, end: .max, appliedThrough: 99),
        .data(kind: .files, identity: 3, offset: 64, masterTimeNanoseconds: 1_700_000_000_000_000_000, bytes: [1, 2, 3]),
        .data(kind: .directories, identity: 0, offset: 0, masterTimeNanoseconds: 0, bytes: []),
        .heartbeat(epoch: 9, state: .slaveReadOnly, masterTimeNanoseconds: 5, ends: []),
        .heartbeat(epoch: 9, state: .transition, masterTimeNanoseconds: 5, ends: [
            LogEnd(kind: .directories, identity: 1, end: 100), LogEnd(kind: .files, identity: 2, end: 200),
        ]),
        .acknowledge([LogEnd(kind: .files, identity: 2, end: 64)]),
        .acknowledge([]),
        .error(message: "log identity changed: ünïcödé ✓"),
        .replicationMode(.required, degraded: false),
        .replicationMode(.preferred, degraded: true),
        .probe,
    ]

    static func body(_ frame: [UInt8]) -> [UInt8] { Array(frame.dropFirst(SyncMessage.lengthPrefixSize)) }

    static func lengthPrefix(_ frame: [UInt8]) -> Int {
        Int(frame[0]) | Int(frame[1]) << 8 | Int(frame[2]) << 16 | Int(frame[3]) << 24
    }

    static func violation(_ bytes: [UInt8]) -> String? {
        do {
            let message = try SyncMessage.decode(bytes)
            Issue.record("decoded \(message.name) from \(bytes.count) bytes")
            return nil
        } catch {
            guard case .protocolViolation(let reason) = error else {
                Issue.record("not a protocol violation: \(error)")
                return nil
            }
            return reason
        }
    }

    @Test func everyCaseIsSampled() {
        #expect(Set(Self.samples.map(\.name)).count == SyncMessageType.allCases.count)
    }

    @Test func roundTrip() throws {
        for message in Self.samples {
            let frame = message.encoded()
            #expect(Self.lengthPrefix(frame) == frame.count - 4, "\(message.name)")
            #expect(try SyncMessage.decode(Self.body(frame)) == message)
        }
    }

    @Test func littleEndianLayout() {
        let frame = SyncMessage.challenge(version: 0x0102, nonce: Self.nonce, epoch: 0x0A0B_0C0D_0E0F_1011).encoded()
        #expect(Array(frame[0..<7]) == [43, 0, 0, 0, 1, 0x02, 0x01])
        #expect(Array(frame[39...]) == [0x11, 0x10, 0x0F, 0x0E, 0x0D, 0x0C, 0x0B, 0x0A])
    }

    @Test func everyTruncationFailsCleanly() {
        for message in Self.samples {
            let body = Self.body(message.encoded())
            for length in 0..<body.count {
                #expect(Self.violation(Array(body[..<length])) != nil, "\(message.name) cut to \(length)")
            }
        }
    }

    @Test func trailingBytesAreRefused() {
        for message in Self.samples {
            let reason = Self.violation(Self.body(message.encoded()) + [0])
            #expect(reason?.contains("trailing") == true, "\(message.name): \(reason ?? "")")
        }
    }

    @Test func invalidFieldsAreNamed() {
        #expect(Self.violation([])?.contains("empty") == true)
        #expect(Self.violation([0])?.contains("unknown message type 0") == true)
        #expect(Self.violation([99, 1, 2])?.contains("unknown message type 99") == true)
        var accepted = Self.body(SyncMessage.accepted(mac: Self.mac, epoch: 1, state: .masterReadOnly).encoded())
        accepted[accepted.count - 1] = 77
        #expect(Self.violation(accepted)?.contains("unknown role state 77") == true)
        var data = Self.body(SyncMessage.data(kind: .files, identity: 1, offset: 2, masterTimeNanoseconds: 3, bytes: [9]).encoded())
        data[1] = 3
        #expect(Self.violation(data)?.contains("unknown log kind 3") == true)
        // A string longer than the cap, and one that is not UTF-8.
        #expect(Self.violation([4, 0x01, 0x10] + [UInt8](repeating: 0x41, count: 4097))?.contains("4097 bytes") == true)
        #expect(Self.violation([10, 2, 0, 0xC3, 0x28])?.contains("UTF-8") == true)
        // An array count that the remaining bytes cannot hold is refused before allocating.
        #expect(Self.violation([9, 0xFF, 0xFF])?.contains("65535 entries") == true)
        // A data length beyond the frame.
        let lying = [7, 2] + [UInt8](repeating: 0, count: 24) + [0xFF, 0xFF, 0xFF, 0x7F]
        #expect(Self.violation(lying)?.contains("bytes needs 2147483647") == true)
        // A replication mode or degradation flag out of range.
        #expect(Self.violation([11, 9, 0])?.contains("unknown mode 9") == true)
        #expect(Self.violation([11, 1, 2])?.contains("is not 0 or 1") == true)
    }

    @Test func longStringsAreCutAtACharacterBoundary() throws {
        let text = String(repeating: "é", count: 3000)  // 6000 UTF-8 bytes
        guard case .error(let decoded) = try SyncMessage.decode(Self.body(SyncMessage.error(message: text).encoded())) else {
            Issue.record("not an error message")
            return
        }
        #expect(decoded.utf8.count == 4096)
        #expect(decoded == String(repeating: "é", count: 2048))
    }

    @Test func frameLengthLimits() throws {
        #expect(SyncMessage.maximumFrame == 64 * 1024 * 1024 + 4096)
        #expect(try SyncMessage.frameLength(prefix: 1) == 1)
        #expect(try SyncMessage.frameLength(prefix: UInt32(SyncMessage.maximumFrame)) == SyncMessage.maximumFrame)
        #expect(throws: ReplicationError.self) { try SyncMessage.frameLength(prefix: 0) }
        #expect(throws: ReplicationError.self) { try SyncMessage.frameLength(prefix: UInt32(SyncMessage.maximumFrame + 1)) }
        #expect(throws: ReplicationError.self) { try SyncMessage.frameLength(prefix: .max) }
    }

    @Test func dataEncodesStraightFromABuffer() throws {
        let payload = (0..<1000).map { UInt8(truncatingIfNeeded: $0) }
        var frames: [UInt8] = [0xAA]  // appends after what is already there
        payload.withUnsafeBytes {
            SyncMessage.encodeData(kind: .files, identity: 5, offset: 128, masterTimeNanoseconds: 77, bytes: $0, into: &frames)
        }
        let expected = SyncMessage.data(kind: .files, identity: 5, offset: 128, masterTimeNanoseconds: 77, bytes: payload)
        #expect(Array(frames.dropFirst()) == expected.encoded())
        #expect(try SyncMessage.decode(Self.body(Array(frames.dropFirst()))) == expected)
        let header = SyncMessage.dataFrameHeader(kind: .files, identity: 5, offset: 128, masterTimeNanoseconds: 77,
                                                 payloadCount: payload.count)
        #expect(header + payload == expected.encoded())
    }

    @Test func randomBytesNeverTrap() {
        var random = SeededRandom(seed: 0x5EED_5_1AC)
        var decoded = 0
        for round in 0..<10_000 {
            var bytes = random.bytes(Int.random(in: 0...200, using: &random))
            // Half the rounds start with a valid type byte so the body decoders are exercised.
            if round % 2 == 0, !bytes.isEmpty { bytes[0] = UInt8(round / 2 % SyncMessageType.allCases.count + 1) }
            if (try? SyncMessage.decode(bytes)) != nil { decoded += 1 }
        }
        #expect(decoded < 10_000)
    }

    @Test func mutatedValidFramesNeverTrap() throws {
        var random = SeededRandom(seed: 99)
        for round in 0..<5_000 {
            var body = Self.body(Self.samples[round % Self.samples.count].encoded())
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                body[Int.random(in: 0..<body.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            if let message = try? SyncMessage.decode(body) {
                #expect(try SyncMessage.decode(Self.body(message.encoded())) == message)
            }
        }
    }
}
