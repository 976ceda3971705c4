import Testing
@testable import Replication

@Suite struct RoleStateTests {
    @Test func roleStateCodesRoundTrip() {
        #expect(Set(RoleState.allCases.map(\.code)).count == RoleState.allCases.count)
        for state in RoleState.allCases { #expect(RoleState(code: state.code) == state) }
        #expect(RoleState(code: 0) == nil)
        #expect(RoleState(code: 200) == nil)
        #expect(RoleState.masterReadWrite.rawValue == "master-rw")
        #expect(RoleState(rawValue: "slave-ro") == .slaveReadOnly)
    }

    /// `mode` (the `Replication` line, `ns.master.mode`) is the role of the state: a master state shows a
    /// master mode with the same read-write or read-only access, any other state `slave-ro` (the report
    /// had `mode=slave-ro state=master-ro`).
    @Test func modeNeverDisagreesWithState() {
        for state in RoleState.allCases {
            let isMaster = state == .masterReadWrite || state == .masterReadOnly
            #expect(state.mode.hasPrefix("master-") == isMaster, "\(state): mode=\(state.mode)")
            #expect(state.mode.hasSuffix("-rw") == (state == .masterReadWrite), "\(state): mode=\(state.mode)")
        }
        #expect(RoleState.masterReadOnly.mode == "master-ro")
        #expect(RoleState.masterReadWrite.mode == RoleState.masterReadWrite.rawValue)
        #expect(RoleState.slaveReadOnly.mode == RoleState.slaveReadOnly.rawValue)
    }
}
