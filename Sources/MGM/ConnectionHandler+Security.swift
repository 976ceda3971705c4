import NIOCore
import XRootD

/// A connection's security steps: the `kXR_auth` exchange (the gate decides, see `AuthenticationGate`)
/// and the switch to TLS after a `kXR_protocol` that asked for it.
extension ConnectionHandler {
    /// `kXR_auth`, or any request while an exchange is pending: false when the request is answered here.
    func authenticate(_ frame: RequestFrame, _ context: ChannelHandlerContext) -> Bool {
        let stream = frame.header.streamID
        guard frame.header.requestCode == RequestID.auth.rawValue else {
            if AuthenticationGate.admitsWhilePending(frame.header.requestCode) { return true }
            let name = RequestID(rawValue: frame.header.requestCode)?.name ?? "request \(frame.header.requestCode)"
            logger.warning("closing connection: \(name) before authentication", metadata: ["user": "\(identity.user)"])
            respond(context, stream, [.error(ServerError(code: .notAuthorized, message:
                "Invalid request; user not authenticated (\(name) before kXR_auth completed)"))])
            closeAfterAnswers(context)
            return false
        }
        let outcome = gate.authenticate(frame, identity: &identity, logger: logger)
        if outcome.authenticated {
            decoder.maximumPayload = maximumPayload
            authenticationDeadline?.cancel()
        }
        respond(context, stream, [outcome.body])
        if outcome.close { closeAfterAnswers(context) }
        return false
    }

    func scheduleAuthenticationDeadline(_ context: ChannelHandlerContext) {
        authenticationDeadline?.cancel()
        authenticationDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: AuthenticationGate.timeout) {
            guard !self.closed, self.gate.pending else { return }
            self.logger.warning("closing connection: authentication not completed within \(AuthenticationGate.timeout)",
                                metadata: ["user": "\(self.identity.user)"])
            self.closeAfterAnswers(context)
        }
    }

    /// Flushes what was answered, then closes.
    func closeAfterAnswers(_ context: ChannelHandlerContext) {
        flushNow(context)
        closed = true
        context.close(promise: nil)
    }

    /// Switches the connection to TLS right after the (flushed) `kXR_protocol` answer: the client's next
    /// bytes are its TLS handshake. A client that sent anything after its `kXR_protocol` is out of step
    /// and closed.
    func startTLS(_ context: ChannelHandlerContext) {
        guard let tls else { return }
        flushNow(context)
        guard decoder.bufferedByteCount == 0, queue.isEmpty else {
            logger.warning("closing connection: bytes after a kXR_protocol that switches to TLS")
            return closeAfterAnswers(context)
        }
        do {
            try context.pipeline.syncOperations.addHandler(tls.handler(), position: .first)
            tlsActive = true
            logger.debug("switched to TLS")
        } catch {
            logger.warning("closing connection: cannot switch to TLS: \(error)")
            closeAfterAnswers(context)
        }
    }
}
