import Changelog
import Foundation
import Glibc
import MGM
import Namespace
import Testing
import XRootD

/// Many requests in flight on one connection (issue 17): the client's `pipeline` and `sendAll`, and the
/// server's handling of every request one socket read brings (answers in order, by stream id).
@Suite struct PipelinedRequestTests {
    /// 300 files whose sizes are their numbers: a stat answer shows which file it is about.
    private static func numberedFiles(_ server: TestServer, count: Int) throws {
        try server.namespace.createContainer("/n")
        for index in 0..<count {
            let id = try server.namespace.createFile("/n/f\(index)")
            try server.namespace.setSize(id, UInt64(index))
        }
    }

    @Test(arguments: [1, 7, 32, 300])
    func manyInFlightAnswerTheirOwnRequestsInOrder(depth: Int) throws {
        let server = try TestServer()
        defer { server.stop() }
        try Self.numberedFiles(server, count: 300)
        let client = try server.client()
        // Every third request is for a missing file: its answer is an error at its own place.
        let count = 900
        var answers: [(Int, Result<XRootDClient.Answer, XRootDError>)] = []
        try client.pipeline(depth: depth, next: { index in
            guard index < count else { return nil }
            let path = index % 3 == 2 ? "/n/missing-\(index)" : "/n/f\(index % 300)"
            return .stat(StatRequest(path: path))
        }, answered: { index, result in answers.append((index, result)) })
        #expect(answers.count == count)
        for (position, (index, result)) in answers.enumerated() {
            #expect(index == position)
            if index % 3 == 2 {
                #expect(result.failure?.serverError?.code == .notFound, "request \(index): \(result)")
            } else {
                let stat = try StatInfo(body: try result.get().body)
                #expect(stat.size == Int64(index % 300), "request \(index) answered for size \(stat.size)")
            }
        }
        // The connection stays usable one request at a time.
        #expect(try client.stat("/n/f5").size == 5)
    }

    /// Reads and mutations in one window are executed in the connection's order, whether mutations run
    /// on the event loop (durability none) or on the thread pool (batch).
    @Test(arguments: [Durability.none, .batch])
    func mixedReadsAndMutationsKeepTheirOrder(durability: Durability) throws {
        let server = try TestServer { $0.durability = durability }
        defer { server.stop() }
        let client = try server.client()
        let value = { (i: Int) in Array("v\(i)".utf8) }
        var requests: [XRootDRequest] = []
        for round in 0..<20 {
            let path = "/m\(round)"
            requests += [
                .stat(StatRequest(path: path)),                                          // missing
                .mkdir(MkdirRequest(path: path)),                                        // made
                .stat(StatRequest(path: path)),                                          // a directory
                .fattr(FattrRequest(subcode: .set, path: path, names: [Array("user.a".utf8)], values: [value(round)])),
                .fattr(FattrRequest(subcode: .get, path: path, names: [Array("user.a".utf8)])),
                .rmdir(path: path),                                                       // removed
                .stat(StatRequest(path: path)),                                          // missing again
                .mkdir(MkdirRequest(path: path + "/child")),                             // no parent
            ]
        }
        let answers = try client.sendAll(requests)
        #expect(answers.count == requests.count)
        for round in 0..<20 {
            let a = Array(answers[(round * 8)..<(round * 8 + 8)])
            #expect(a[0].failure?.serverError?.code == .notFound)
            #expect(a[1].success != nil)
            #expect((try? StatInfo(body: a[2].get().body))?.isDirectory == true)
            #expect(a[3].success != nil)
            // kXR_fattr get answer: errors, count, code and name, then the value's length and bytes.
            let got = try a[4].get().body
            #expect(got.suffix(2) == value(round).suffix(2), "round \(round): \(got)")
            #expect(a[5].success != nil)
            #expect(a[6].failure?.serverError?.code == .notFound)
            #expect(a[7].failure?.serverError?.code == .notFound)
        }
        #expect(try server.namespace.list("/").isEmpty)
    }

    /// One socket read with good requests around an unknown request code and a malformed one: each gets
    /// its own answer, by its stream id, in order, and the connection serves on.
    @Test func malformedRequestInTheMiddleOfABatch() throws {
        let server = try TestServer()
        defer { server.stop() }
        try Self.numberedFiles(server, count: 4)
        let raw = try RawConnection(port: server.port)
        #expect(raw.logIn())
        var batch: [UInt8] = []
        batch += XRootDRequest.stat(StatRequest(path: "/n/f1")).encode(streamID: StreamID(101))
        // An unknown request code.
        batch += RequestHeader(streamID: StreamID(102), requestCode: 3999, parameters: Array(repeating: 0, count: 16),
                               payloadLength: 0).encode()
        // kXR_fattr with a subcode the protocol does not have.
        var fattr = XRootDRequest.fattr(FattrRequest(subcode: .get, path: "/n/f2", names: [Array("user.x".utf8)]))
            .encode(streamID: StreamID(103))
        fattr[8] = 99  // the header's parameters start at byte 4: a 4-byte handle, then the subcode
        batch += fattr
        batch += XRootDRequest.stat(StatRequest(path: "/n/f3")).encode(streamID: StreamID(104))
        batch += XRootDRequest.mkdir(MkdirRequest(path: "/after")).encode(streamID: StreamID(105))
        #expect(raw.send(batch))
        var responses: [XRootDResponse] = []
        for _ in 0..<5 {
            guard let response = raw.readResponse() else { break }
            responses.append(response)
        }
        #expect(responses.map(\.streamID.value) == [101, 102, 103, 104, 105])
        guard responses.count == 5 else { return }
        if case .ok(let body) = responses[0].body { #expect(try StatInfo(body: body).size == 1) } else { Issue.record("\(responses[0])") }
        if case .error(let error) = responses[1].body { #expect(error.code == .unsupported) } else { Issue.record("\(responses[1])") }
        if case .error = responses[2].body {} else { Issue.record("a bad fattr subcode was answered \(responses[2])") }
        if case .ok(let body) = responses[3].body { #expect(try StatInfo(body: body).size == 3) } else { Issue.record("\(responses[3])") }
        if case .ok = responses[4].body {} else { Issue.record("\(responses[4])") }
        #expect((try? server.namespace.stat("/after")) != nil)
    }
}

extension Result {
    var success: Success? { if case .success(let s) = self { return s } else { return nil } }
    var failure: Failure? { if case .failure(let f) = self { return f } else { return nil } }
}
