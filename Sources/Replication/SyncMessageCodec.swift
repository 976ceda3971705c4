// The byte layout of sync messages (the table is in docs/REPLICATION.md). A frame is
// `u32 length | u8 type | body`, little endian, where the length counts the type byte and the body.

/// The type byte of each message (stable: never renumber).
enum SyncMessageType: UInt8, CaseIterable {
    case challenge = 1
    case proof = 2
    case accepted = 3
    case refused = 4
    case subscribe = 5
    case logHeader = 6
    case data = 7
    case heartbeat = 8
    case acknowledge = 9
    case error = 10
    case replicationMode = 11
    case probe = 12
}

extension SyncMessage {
    /// The size of the length prefix of a frame.
    public static let lengthPrefixSize = 4
    /// The wire size of one `LogSubscription`: kind, identity, length, last sequence, fingerprint.
    static let subscriptionSize = 1 + 8 * 4
    /// The wire size of one `LogEnd`: kind, identity, end.
    static let logEndSize = 1 + 8 + 8

    /// The whole frame: length prefix, type byte, body.
    public func encoded() -> [UInt8] {
        var frame: [UInt8] = [0, 0, 0, 0]
        switch self {
        case .challenge(let version, let nonce, let epoch):
            frame.append(SyncMessageType.challenge.rawValue)
            frame.appendLittleEndian(version)
            frame.appendFixed(nonce, count: Self.nonceSize, field: "challenge.nonce")
            frame.appendLittleEndian(epoch)
        case .proof(let mac, let nonce, let epoch):
            frame.append(SyncMessageType.proof.rawValue)
            frame.appendFixed(mac, count: Self.nonceSize, field: "proof.mac")
            frame.appendFixed(nonce, count: Self.nonceSize, field: "proof.nonce")
            frame.appendLittleEndian(epoch)
        case .accepted(let mac, let epoch, let state):
            frame.append(SyncMessageType.accepted.rawValue)
            frame.appendFixed(mac, count: Self.nonceSize, field: "accepted.mac")
            frame.appendLittleEndian(epoch)
            frame.append(state.code)
        case .refused(let reason):
            frame.append(SyncMessageType.refused.rawValue)
            frame.appendString(reason)
        case .subscribe(let subscriptions):
            frame.append(SyncMessageType.subscribe.rawValue)
            frame.appendCount(subscriptions.count, field: "subscribe")
            for subscription in subscriptions {
                frame.append(subscription.kind.rawValue)
                frame.appendLittleEndian(subscription.identity)
                frame.appendLittleEndian(subscription.length)
                frame.appendLittleEndian(subscription.lastSequence)
                frame.appendLittleEndian(subscription.tailFingerprint)
            }
        case .logHeader(let kind, let header, let end, let appliedThrough):
            frame.append(SyncMessageType.logHeader.rawValue)
            frame.append(kind.rawValue)
            frame.appendFixed(header, count: Self.logHeaderSize, field: "logHeader.header")
            frame.appendLittleEndian(end)
            frame.appendLittleEndian(appliedThrough)
        case .data(let kind, let identity, let offset, let time, let bytes):
            frame.removeAll(keepingCapacity: true)
            bytes.withUnsafeBytes { payload in
                Self.encodeData(kind: kind, identity: identity, offset: offset, masterTimeNanoseconds: time,
                                bytes: payload, into: &frame)
            }
            return frame
        case .heartbeat(let epoch, let state, let time, let ends):
            frame.append(SyncMessageType.heartbeat.rawValue)
            frame.appendLittleEndian(epoch)
            frame.append(state.code)
            frame.appendLittleEndian(time)
            Self.appendEnds(ends, field: "heartbeat.ends", to: &frame)
        case .acknowledge(let ends):
            frame.append(SyncMessageType.acknowledge.rawValue)
            Self.appendEnds(ends, field: "acknowledge", to: &frame)
        case .error(let message):
            frame.append(SyncMessageType.error.rawValue)
            frame.appendString(message)
        case .replicationMode(let mode, let degraded):
            frame.append(SyncMessageType.replicationMode.rawValue)
            frame.append(mode.code)
            frame.append(degraded ? 1 : 0)
        case .probe:
            frame.append(SyncMessageType.probe.rawValue)
        }
        Self.patchLength(of: &frame, from: 0)
        return frame
    }

    /// Appends a whole `data` frame to `frame`, copying the payload once (straight from, say, a
    /// mapped log). A payload above `maximumDataBytes` is a programming error of the caller.
    public static func encodeData(kind: LogKind, identity: UInt64, offset: UInt64, masterTimeNanoseconds: UInt64,
                                  bytes: UnsafeRawBufferPointer, into frame: inout [UInt8]) {
        frame.reserveCapacity(frame.count + lengthPrefixSize + dataFixedSize + bytes.count)
        frame.append(contentsOf: dataFrameHeader(kind: kind, identity: identity, offset: offset,
                                                 masterTimeNanoseconds: masterTimeNanoseconds, payloadCount: bytes.count))
        frame.append(contentsOf: bytes)
    }

    /// The bytes of a `data` frame before its payload (length prefix included), for senders that
    /// hand header and payload to the kernel separately (`SyncSocket.sendData`).
    public static func dataFrameHeader(kind: LogKind, identity: UInt64, offset: UInt64, masterTimeNanoseconds: UInt64,
                                       payloadCount: Int) -> [UInt8] {
        precondition(payloadCount >= 0 && payloadCount <= maximumDataBytes,
                     "sync data payload of \(payloadCount) bytes exceeds \(maximumDataBytes)")
        var header: [UInt8] = []
        header.reserveCapacity(lengthPrefixSize + dataFixedSize)
        header.appendLittleEndian(UInt32(dataFixedSize + payloadCount))
        header.append(SyncMessageType.data.rawValue)
        header.append(kind.rawValue)
        header.appendLittleEndian(identity)
        header.appendLittleEndian(offset)
        header.appendLittleEndian(masterTimeNanoseconds)
        header.appendLittleEndian(UInt32(payloadCount))
        return header
    }

    /// The length of the frame whose 4-byte prefix is `prefix` (type byte and body, without the
    /// prefix); a length of 0 or above `maximumFrame` is a protocol violation.
    public static func frameLength(prefix: UInt32) throws(ReplicationError) -> Int {
        guard prefix >= 1 else { throw .protocolViolation("frame length 0 (a frame has at least its type byte)") }
        guard prefix <= maximumFrame else {
            throw .protocolViolation("frame length \(prefix) exceeds the maximum of \(maximumFrame)")
        }
        return Int(prefix)
    }

    /// The length of the sealed frame whose prefix is `prefix` (its segments and tags): at least one
    /// byte and a tag, at most what a frame of `maximumFrame` plain bytes seals to.
    static func sealedFrameLength(prefix: UInt32) throws(ReplicationError) -> Int {
        let maximum = SyncFrameCipher.sealedCount(plainCount: maximumFrame)
        guard prefix >= 1 + SyncFrameCipher.tagSize, prefix <= maximum else {
            throw .protocolViolation("sealed frame length \(prefix) is outside \(1 + SyncFrameCipher.tagSize)...\(maximum)")
        }
        return Int(prefix)
    }

    /// Decodes one frame without its length prefix (type byte and body). Never traps: bytes that do
    /// not form exactly one valid message throw `protocolViolation` naming the field and lengths.
    public static func decode(_ frame: UnsafeRawBufferPointer) throws(ReplicationError) -> SyncMessage {
        guard let typeByte = frame.first else { throw .protocolViolation("empty frame (no type byte)") }
        guard frame.count <= maximumFrame else {
            throw .protocolViolation("frame length \(frame.count) exceeds the maximum of \(maximumFrame)")
        }
        guard let type = SyncMessageType(rawValue: typeByte) else {
            throw .protocolViolation("unknown message type \(typeByte) in a \(frame.count)-byte frame")
        }
        var r = WireReader(UnsafeRawBufferPointer(rebasing: frame[1...]), message: "\(type)")
        let message: SyncMessage
        switch type {
        case .challenge:
            message = .challenge(version: try r.u16("version"), nonce: try r.bytes(nonceSize, "nonce"), epoch: try r.u64("epoch"))
        case .proof:
            message = .proof(mac: try r.bytes(nonceSize, "mac"), nonce: try r.bytes(nonceSize, "nonce"), epoch: try r.u64("epoch"))
        case .accepted:
            message = .accepted(mac: try r.bytes(nonceSize, "mac"), epoch: try r.u64("epoch"), state: try r.state("state"))
        case .refused:
            message = .refused(reason: try r.string("reason"))
        case .subscribe:
            let count = try r.count("subscriptions", entrySize: subscriptionSize)
            var subscriptions: [LogSubscription] = []
            subscriptions.reserveCapacity(count)
            for i in 0..<count {
                subscriptions.append(LogSubscription(
                    kind: try r.kind("subscriptions[\(i)].kind"), identity: try r.u64("subscriptions[\(i)].identity"),
                    length: try r.u64("subscriptions[\(i)].length"), lastSequence: try r.u64("subscriptions[\(i)].lastSequence"),
                    tailFingerprint: try r.u64("subscriptions[\(i)].tailFingerprint")))
            }
            message = .subscribe(subscriptions)
        case .logHeader:
            message = .logHeader(kind: try r.kind("kind"), header: try r.bytes(logHeaderSize, "header"),
                                 end: try r.u64("end"), appliedThrough: try r.u64("appliedThrough"))
        case .data:
            let kind = try r.kind("kind")
            let identity = try r.u64("identity")
            let offset = try r.u64("offset")
            let time = try r.u64("masterTimeNanoseconds")
            let length = Int(try r.u32("bytes length"))
            message = .data(kind: kind, identity: identity, offset: offset, masterTimeNanoseconds: time,
                            bytes: try r.bytes(length, "bytes"))
        case .heartbeat:
            message = .heartbeat(epoch: try r.u64("epoch"), state: try r.state("state"),
                                 masterTimeNanoseconds: try r.u64("masterTimeNanoseconds"), ends: try decodeEnds(&r, "ends"))
        case .acknowledge:
            message = .acknowledge(try decodeEnds(&r, "ends"))
        case .error:
            message = .error(message: try r.string("message"))
        case .replicationMode:
            let code = try r.u8("mode")
            guard let mode = SyncReplicationMode(code: code) else {
                throw .protocolViolation("replicationMode.mode: unknown mode \(code)")
            }
            let degraded = try r.u8("degraded")
            guard degraded <= 1 else { throw .protocolViolation("replicationMode.degraded: \(degraded) is not 0 or 1") }
            message = .replicationMode(mode, degraded: degraded == 1)
        case .probe:
            message = .probe
        }
        try r.finish()
        return message
    }

    /// Decodes a frame without its length prefix from an array (see `decode(_:)`).
    public static func decode(_ frame: [UInt8]) throws(ReplicationError) -> SyncMessage {
        // `withUnsafeBytes` rethrows untyped errors; a Result keeps the type.
        try frame.withUnsafeBytes { buffer in Result { () throws(ReplicationError) in try decode(buffer) } }.get()
    }

    private static func appendEnds(_ ends: [LogEnd], field: String, to frame: inout [UInt8]) {
        frame.appendCount(ends.count, field: field)
        for end in ends {
            frame.append(end.kind.rawValue)
            frame.appendLittleEndian(end.identity)
            frame.appendLittleEndian(end.end)
        }
    }

    private static func decodeEnds(_ r: inout WireReader, _ field: String) throws(ReplicationError) -> [LogEnd] {
        let count = try r.count(field, entrySize: logEndSize)
        var ends: [LogEnd] = []
        ends.reserveCapacity(count)
        for i in 0..<count {
            ends.append(LogEnd(kind: try r.kind("\(field)[\(i)].kind"), identity: try r.u64("\(field)[\(i)].identity"),
                               end: try r.u64("\(field)[\(i)].end")))
        }
        return ends
    }

    /// Writes the u32 length of the frame that starts at `start` (everything after its prefix).
    private static func patchLength(of frame: inout [UInt8], from start: Int) {
        let length = UInt32(frame.count - start - lengthPrefixSize)
        for i in 0..<4 { frame[start + i] = UInt8(truncatingIfNeeded: length >> UInt32(8 * i)) }
    }
}
