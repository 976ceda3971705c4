import NIOCore
import XRootD

/// Frames the client byte stream with our `RequestFrameDecoder` (handshake, then requests). A malformed
/// handshake or an oversized length throws: the pipeline reports the error and the connection is closed.
final class XRootDRequestDecoder: ByteToMessageDecoder {
    typealias InboundOut = RequestFrameDecoder.Message

    private var decoder: RequestFrameDecoder

    init(maximumPayload: Int) {
        decoder = RequestFrameDecoder(start: .handshake, maximumPayload: maximumPayload)
    }

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if buffer.readableBytes > 0 {
            decoder.append(buffer.readableBytesView)
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        }
        // Our decoder holds the bytes now, so hand on every complete message before asking for more.
        while let message = try decoder.next() {
            context.fireChannelRead(wrapInboundOut(message))
        }
        return .needMoreData
    }

    func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}
