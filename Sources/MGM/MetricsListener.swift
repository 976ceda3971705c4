import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import XRootD

/// The `--metrics` endpoint: a small HTTP/1.1 listener answering `GET /metrics` with the registry in
/// Prometheus text format (version 0.0.4), sampling the `ns stat -m` figures first.
///
/// It has its own event-loop thread, so a scrape (a statistics read, a /proc read, formatting) never
/// delays the XRootD connections.
final class MetricsListener: Sendable {
    let endpoint: Endpoint
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel

    private init(endpoint: Endpoint, group: MultiThreadedEventLoopGroup, channel: any Channel) {
        self.endpoint = endpoint
        self.group = group
        self.channel = channel
    }

    /// Listens on `address` (port 0: any free port). `scrape` produces the body of an answer.
    static func start(_ address: Endpoint, logger: Logger,
                      scrape: @escaping @Sendable () -> [UInt8]) throws(MGMError) -> MetricsListener {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 16)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(scrape: scrape))
                }
            }
        let channel: any Channel
        do {
            channel = try bootstrap.bind(host: address.host, port: address.port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw .bind("metrics \(address): \(error)")
        }
        let bound = Endpoint(host: address.host, port: channel.localAddress?.port ?? address.port)
        logger.info("metrics", metadata: ["url": "\(Self.url(bound))"])
        return MetricsListener(endpoint: bound, group: group, channel: channel)
    }

    /// `http://HOST:PORT/metrics` (an IPv6 host in brackets).
    static func url(_ endpoint: Endpoint) -> String {
        let host = endpoint.host.contains(":") ? "[\(endpoint.host)]" : endpoint.host
        return "http://\(host):\(endpoint.port)/metrics"
    }

    func close() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}

/// One HTTP connection of the metrics endpoint.
final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let scrape: @Sendable () -> [UInt8]
    private var head: HTTPRequestHead?

    init(scrape: @escaping @Sendable () -> [UInt8]) {
        self.scrape = scrape
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            answer(head, context)
        }
    }

    private func answer(_ head: HTTPRequestHead, _ context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let status: HTTPResponseStatus
        let body: [UInt8]
        var type = "text/plain; charset=utf-8"
        if head.method != .GET && head.method != .HEAD {
            (status, body) = (.methodNotAllowed, Array("only GET\n".utf8))
        } else if path == "/metrics" {
            (status, body) = (.ok, scrape())
            type = "text/plain; version=0.0.4; charset=utf-8"
        } else {
            (status, body) = (.notFound, Array("not found: the metrics are at /metrics\n".utf8))
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: type)
        headers.add(name: "Content-Length", value: "\(body.count)")
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
                      promise: nil)
        if head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let loopContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            done.whenComplete { _ in loopContext.value.close(promise: nil) }
        }
    }
}
