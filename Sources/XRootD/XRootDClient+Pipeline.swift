// Pipelined requests: many in flight on the home connection (ClientSession+Pipeline.swift).

extension XRootDClient {
    /// The most requests `pipeline` keeps in flight on one connection.
    public static let maximumPipelineDepth = 4096

    /// Keeps up to `depth` requests in flight on the home connection, as libXrdCl does: `next(i)` gives
    /// the i-th request (nil: no more), and `answered(i, result)` gets each answer in request order.
    /// The server may execute a request before the answers to earlier ones arrive, so requests in one
    /// window must not depend on each other's outcome (a mutation and the reads after it on the same
    /// connection are executed in order by `beryl-mgm` and the stock server). A request answered with a
    /// redirect or a wait is followed (as `send` does) once the requests in flight before it are
    /// answered. The pipeline has the home connection to itself: a `send` from another thread meanwhile
    /// uses a connection of its own.
    ///
    /// Throws for a transport or framing failure (the connection is dropped; answers not yet handed to
    /// `answered` are lost); server errors are `.failure` results.
    public func pipeline(depth: Int, next: (Int) -> XRootDRequest?,
                         answered: (Int, Result<Answer, XRootDError>) -> Void) throws(XRootDError) {
        let depth = min(max(depth, 1), Self.maximumPipelineDepth)
        let home = home, options = options
        // The home session is checked out for the pipeline (a `send` from another thread meanwhile
        // opens its own connection) and put back when it is still usable.
        let session = try state.withLock { state throws(XRootDError) -> ClientSession in
            let session = try Self.session(for: home, in: &state, options: options, home: home)
            state.sessions[home] = nil
            return session
        }
        defer {
            let usable = session.isUsable
            let extra = state.withLock { state -> ClientSession? in
                guard usable, state.sessions[home] == nil else { return session }
                state.sessions[home] = session
                return nil
            }
            extra?.close()
        }
        try session.pipeline(depth: depth, next: next) { (index, request, outcome) throws(XRootDError) in
            switch outcome {
            case .success(.ok(let body)):
                answered(index, .success(Answer(body: body, endpoint: home, redirects: 0, waited: .zero)))
            case .success(let other):
                // Followed as `send` does (a wait is retried on another connection to home).
                do throws(XRootDError) {
                    let answer = try state.withLock { state throws(XRootDError) in
                        try Self.follow(request, at: home, first: other, in: &state, options: options, home: home)
                    }
                    answered(index, .success(answer))
                } catch {
                    guard error.serverError != nil else { throw error }
                    answered(index, .failure(error))
                }
            case .failure(let error):
                answered(index, .failure(error))
            }
        }
    }

    /// Sends all `requests` at once on the home connection (up to `maximumPipelineDepth` in flight) and
    /// returns their answers in order.
    public func sendAll(_ requests: [XRootDRequest]) throws(XRootDError) -> [Result<Answer, XRootDError>] {
        var answers: [Result<Answer, XRootDError>] = []
        answers.reserveCapacity(requests.count)
        try pipeline(depth: requests.count, next: { $0 < requests.count ? requests[$0] : nil }) { _, answer in
            answers.append(answer)
        }
        return answers
    }
}
