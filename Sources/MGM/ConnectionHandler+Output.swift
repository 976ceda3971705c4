import NIOCore
import XRootD

/// The answers of a connection. Inside a batch (the requests of one socket read, or a pool completion
/// and the requests it unblocks) they are formatted back to back into one `ByteBuffer`, handed to the
/// channel and flushed once at the batch's end: one `write(2)` for a pipelining client's whole batch,
/// and one pass through the channel's outbound path instead of one per answer. Past
/// `outboundChunk` bytes the gathered answers go to the channel at once (not flushed), so the
/// channel's writability, which stops executing and reading (see `ConnectionHandler`), still follows
/// what a client leaves unread.
extension ConnectionHandler {
    static let outboundChunk = 64 * 1024

    /// Runs `format` on the batch's buffer (made with room for `capacity` more bytes).
    @inline(__always)
    private func append(_ context: ChannelHandlerContext, capacity: Int, _ format: (inout ByteBuffer) -> Void) {
        if outbound == nil {
            outbound = context.channel.allocator.buffer(capacity: max(capacity, 1024))
        }
        format(&outbound!)
    }

    /// Hands the gathered answers to the channel (without flushing).
    func emit(_ context: ChannelHandlerContext) {
        guard let buffer = outbound else { return }
        outbound = nil
        if buffer.readableBytes > 0 { context.write(wrapOutboundOut(buffer), promise: nil) }
    }

    /// Writes and flushes everything answered so far.
    func flushNow(_ context: ChannelHandlerContext) {
        unflushed = false
        emit(context)
        context.flush()
    }

    /// Flushes now, or at the end of the current batch.
    func flush(_ context: ChannelHandlerContext) {
        if batching {
            unflushed = true
            if (outbound?.readableBytes ?? 0) >= Self.outboundChunk { emit(context) }
        } else {
            flushNow(context)
        }
    }

    func respond(_ context: ChannelHandlerContext, _ stream: StreamID, _ bodies: [ResponseBody]) {
        guard !closed else { return }
        for body in bodies {
            switch body {
            case .ok(let data), .okSoFar(let data):
                // The common answers straight into the buffer: the 8-byte header, then the body.
                append(context, capacity: ResponseHeader.length + data.count) { buffer in
                    buffer.writeInteger(stream.value)
                    buffer.writeInteger(body.status.rawValue)
                    buffer.writeInteger(Int32(data.count))
                    buffer.writeBytes(data)
                }
            default:
                metrics?.answered(body)
                write(context, XRootDResponse(streamID: stream, body: body).encode())
            }
        }
        flush(context)
    }

    /// A stat answer formatted straight into the outbound buffer (no body array, no text string).
    func respond(_ context: ChannelHandlerContext, _ stream: StreamID, _ stat: StatInfo) {
        guard !closed else { return }
        let maximum = stat.maximumEncodedLength
        append(context, capacity: ResponseHeader.length + maximum) { buffer in
            buffer.writeInteger(stream.value)
            buffer.writeInteger(ResponseStatus.ok.rawValue)
            let lengthAt = buffer.writerIndex
            buffer.writeInteger(Int32(0))
            let length = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: maximum) { stat.encode(into: $0) }
            buffer.setInteger(Int32(length), at: lengthAt)
        }
        flush(context)
    }

    /// Bodies back to back in `bytes` (each ending at `ends[i]`), framed: `kXR_oksofar` headers,
    /// `kXR_ok` for the last.
    func respond(_ context: ChannelHandlerContext, _ stream: StreamID, parts bytes: [UInt8], ends: [Int]) {
        guard !closed else { return }
        append(context, capacity: bytes.count + ends.count * ResponseHeader.length) { buffer in
            var start = 0
            bytes.withUnsafeBytes { raw in
                for (index, end) in ends.enumerated() {
                    buffer.writeInteger(stream.value)
                    buffer.writeInteger(index == ends.count - 1 ? ResponseStatus.ok.rawValue : ResponseStatus.okSoFar.rawValue)
                    buffer.writeInteger(Int32(end - start))
                    buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[start..<end]))
                    start = end
                }
            }
        }
        flush(context)
    }

    func write(_ context: ChannelHandlerContext, _ bytes: [UInt8]) {
        append(context, capacity: bytes.count) { $0.writeBytes(bytes) }
    }
}
