import Coordination
import Testing

@Suite struct JSONValueTests {
    @Test func parsesAnEtcdAnswer() throws {
        let text = #"{"header":{"revision":"7","raft_term":"2"},"succeeded":true,"kvs":[{"key":"Zm9v","version":"1"}],"TTL":3,"x":null,"f":-1.5e3,"s":"a\"\\\/\u00e9\ud83d\ude00\n"}"#
        let json = try JSONValue.parse(Array(text.utf8))
        #expect(json["header"]?["revision"]?.int64 == 7)
        #expect(json["succeeded"]?.bool == true)
        #expect(json["kvs"]?.array?.first?["key"]?.string == "Zm9v")
        #expect(json["TTL"]?.int64 == 3)
        #expect(json["x"] == .null)
        #expect(json["f"] == .number("-1.5e3"))
        #expect(json["s"]?.string == "a\"\\/é😀\n")
    }

    @Test(arguments: [
        ("", 0, "end of input"), ("{", 1, "member name"), (#"{"a" 1}"#, 5, "expected ':'"), ("[1,]", 3, "unexpected byte"),
        (#""abc"#, 4, "inside a string"), ("tru", 0, "expected true"), ("{} x", 3, "trailing"), ("-", 1, "without digits"),
        (#""\q""#, 3, "unknown escape"), (#""\ud800""#, 7, "lone high surrogate"), ("1.", 2, "decimal point"),
        ("\"\u{01}\"", 1, "control character"),
    ])
    func refusesWithTheOffset(text: String, offset: Int, reason: String) {
        #expect {
            try JSONValue.parse(Array(text.utf8))
        } throws: { error in
            guard let error = error as? JSONParseError else { return false }
            return error.offset == offset && error.reason.contains(reason)
        }
    }

    @Test func refusesInvalidUTF8AndDeepNesting() {
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0xFF, 0xFE, 0x22]) }
        let deep = String(repeating: "[", count: JSONValue.maximumDepth + 2) + String(repeating: "]", count: JSONValue.maximumDepth + 2)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(deep.utf8)) }
        let fine = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
        #expect((try? JSONValue.parse(Array(fine.utf8))) != nil)
    }

    @Test func neverTrapsOnRandomBytes() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array(#"{}[]":,\"truefalsnul0123456789-.eE "#.utf8) + [0x00, 0xC3, 0xFF]
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0..<40, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            _ = try? JSONValue.parse(bytes)
        }
    }
}

@Suite struct EtcdEndpointTests {
    @Test func parsesTheCoordinatorURL() throws {
        let list = try EtcdEndpoint.parseList("etcd://127.0.0.1:2379,[::1]:2479,etcd.example:1")
        #expect(list == [EtcdEndpoint(host: "127.0.0.1", port: 2379), EtcdEndpoint(host: "::1", port: 2479),
                         EtcdEndpoint(host: "etcd.example", port: 1)])
        #expect(list[1].description == "[::1]:2479")
    }

    @Test(arguments: ["http://a:1", "etcd://", "etcd://a", "etcd://a:0", "etcd://a:70000", "etcd://a:1,", "etcd://a:1,a:1",
                      "etcd://a:1/path", "etcd://u@a:1", "etcd://::1:5", "etcd://[::1]5"])
    func refusesBadURLs(url: String) {
        #expect(throws: EtcdError.self) { try EtcdEndpoint.parseList(url) }
    }
}
