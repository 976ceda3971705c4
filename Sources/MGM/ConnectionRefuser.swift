import Logging
import NIOCore
import XRootD

/// The handler of a connection beyond `--max-connections`: it answers the handshake,
/// `kXR_protocol` and `kXR_login` (a session that serves nothing), then the first request after
/// them with `kXR_Overloaded` and `message`, which clients print, and closes. A client that sends nothing, or more than a
/// handshake and a small request, is closed at once or after `patience`.
final class ConnectionRefuser: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let message: String
    private let patience: TimeAmount
    private var decoder: RequestFrameDecoder
    private var closed = false

    init(message: String, maximumPayload: Int, patience: TimeAmount = .seconds(10)) {
        self.message = message
        self.patience = patience
        decoder = RequestFrameDecoder(start: .handshake, maximumPayload: maximumPayload)
    }

    func channelActive(context: ChannelHandlerContext) {
        context.eventLoop.assumeIsolated().scheduleTask(in: patience) { self.close(context) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closed else { return }
        decoder.append(unwrapInboundIn(data).readableBytesView)
        do throws(XRootDError) {
            while let next = try decoder.next() {
                switch next {
                case .handshake:
                    context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: ServerHandshake().encode())),
                                  promise: nil)
                case .request(let frame) where frame.header.requestCode == RequestID.protocol.rawValue
                    || frame.header.requestCode == RequestID.login.rawValue:
                    // Stock clients print no server text for a failed kXR_protocol or kXR_login (a broken
                    // handshake): both are answered, the refusal goes to the first request after them.
                    let body = frame.header.requestCode == RequestID.login.rawValue
                        ? LoginResponse(sessionID: [UInt8](repeating: 0, count: 16)).encode()
                        : ProtocolResponse(flags: [.isServer]).encode()
                    let answer = XRootDResponse(streamID: frame.header.streamID, body: .ok(body))
                    context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: answer.encode())), promise: nil)
                case .request(let frame):
                    let answer = XRootDResponse(streamID: frame.header.streamID,
                                                body: .error(ServerError(code: .overloaded, message: message)))
                    context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: answer.encode())),
                                          promise: nil)
                    close(context)
                    return
                }
            }
            context.flush()
        } catch {
            close(context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) { close(context) }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        context.fireChannelInactive()
    }

    private func close(_ context: ChannelHandlerContext) {
        guard !closed else { return }
        closed = true
        context.close(promise: nil)
    }
}
