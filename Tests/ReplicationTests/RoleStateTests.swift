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
}
