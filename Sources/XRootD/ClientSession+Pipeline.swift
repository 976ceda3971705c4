/// Many requests in flight on one connection, as libXrdCl keeps them: each request has its own stream
/// id, the requests of one refill go out in one `send`, and answers are matched to their requests by
/// stream id (in whatever order the server sends them) and handed on in the order of the requests.
extension ClientSession {
    /// A request sent and not yet completely answered.
    private struct InFlight {
        var index: Int
        var request: XRootDRequest
        /// `kXR_oksofar` parts so far.
        var data: [UInt8] = []
        var deadline: ContinuousClock.Instant
    }

    /// Keeps up to `depth` requests in flight: `next(i)` gives the i-th request (nil: no more), and
    /// `deliver(i, request, outcome)` gets each outcome in request order (server errors as `.failure`).
    /// Before a redirect or wait outcome is delivered, every request still in flight is answered
    /// first, so `deliver` may use this session for it (nothing else is in flight then).
    ///
    /// Throws for what leaves the byte stream out of step (the session is then unusable) or for what
    /// `deliver` throws; requests not delivered by then have no outcome.
    func pipeline(depth: Int, next: (Int) -> XRootDRequest?,
                  deliver: (Int, XRootDRequest, Result<Outcome, XRootDError>) throws(XRootDError) -> Void) throws(XRootDError) {
        guard isUsable else { throw .connectionClosed }
        precondition(depth >= 1 && depth < Int(UInt16.max), "pipeline depth \(depth) outside 1...65534")
        var inFlight: [UInt16: InFlight] = [:]
        inFlight.reserveCapacity(depth)
        var done: [Int: (XRootDRequest, Result<Outcome, XRootDError>)] = [:]
        var submitted = 0
        var delivered = 0
        var exhausted = false
        var outgoing: [UInt8] = []
        do throws(XRootDError) {
            while true {
                // Refill the window: one send for all the requests it takes.
                outgoing.removeAll(keepingCapacity: true)
                while !exhausted, inFlight.count < depth {
                    guard let request = next(submitted) else { exhausted = true; break }
                    let stream = allocateStream()
                    outgoing += request.encode(streamID: stream)
                    inFlight[stream.value] = InFlight(index: submitted, request: request,
                                                      deadline: ContinuousClock.now + options.requestTimeout)
                    submitted += 1
                }
                if !outgoing.isEmpty { try connection.send(outgoing) }
                if inFlight.isEmpty, done.isEmpty { return }
                // At least one frame (waiting for it), then every frame already received.
                try receive(into: &inFlight, done: &done, wait: true)
                while try receive(into: &inFlight, done: &done, wait: false) {}
                // Deliver in request order.
                while let (request, outcome) = done.removeValue(forKey: delivered).map({ ($0.0, $0.1) }) {
                    if case .success(let o) = outcome, !o.isOK {
                        while !inFlight.isEmpty { try receive(into: &inFlight, done: &done, wait: true) }
                    }
                    try deliver(delivered, request, outcome)
                    delivered += 1
                    guard isUsable else { throw XRootDError.connectionClosed }
                }
            }
        } catch {
            if error.serverError == nil { invalidate() }
            throw error
        }
    }

    /// Takes one response frame (waiting for it when `wait`, until the earliest deadline in flight)
    /// into its request; returns false when `wait` is false and no frame was complete.
    @discardableResult
    private func receive(into inFlight: inout [UInt16: InFlight], done: inout [Int: (XRootDRequest, Result<Outcome, XRootDError>)],
                         wait: Bool) throws(XRootDError) -> Bool {
        let frame: ResponseFrame
        if wait {
            var deadline = ContinuousClock.now + options.requestTimeout
            for slot in inFlight.values where slot.deadline < deadline { deadline = slot.deadline }
            frame = try connection.nextFrame(deadline: deadline)
        } else {
            guard let buffered = try connection.bufferedFrame() else { return false }
            frame = buffered
        }
        var response = try XRootDResponse(frame: frame)
        if case .attention(let attention) = response.body {
            // Only deferred answers (kXR_asynresp) concern a request; other attentions are skipped.
            guard let inner = try attention.asynchronousResponse() else { return true }
            response = inner
        }
        guard var slot = inFlight[response.streamID.value] else {
            throw .unexpectedResponse("answer for stream \(response.streamID), which has no request in flight")
        }
        switch try absorb(response.body, request: slot.request.requestID, data: &slot.data, deadline: &slot.deadline) {
        case .more:
            inFlight[response.streamID.value] = slot
        case .done(let outcome):
            inFlight[response.streamID.value] = nil
            done[slot.index] = (slot.request, outcome)
        }
        return true
    }
}

extension ClientSession.Outcome {
    var isOK: Bool {
        if case .ok = self { return true }
        return false
    }
}
