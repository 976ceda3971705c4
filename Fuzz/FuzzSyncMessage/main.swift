import FuzzHarness

/// libFuzzer entry point (build with `make fuzz`; a plain build makes a no-op binary).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSyncMessage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzBodies.syncMessages(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
