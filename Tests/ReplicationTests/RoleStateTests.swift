import Namespace
import Testing
@testable import Replication

@Suite struct RoleStateTests {
    @Test func roleStateCodesRoundTrip() {
        #expect(Set(Role.allCases.map(\.code)).count == Role.allCases.count)
        for state in Role.allCases { #expect(Role(code: state.code) == state) }
        #expect(Role(code: 0) == nil)
        #expect(Role(code: 200) == nil)
        #expect(Role.masterReadWrite.rawValue == "master-rw")
        #expect(Role(rawValue: "slave-ro") == .slaveReadOnly)
    }

    /// `mode` (the `Replication` line, `ns.master.mode`) is the role of the state: a master state shows a
    /// master mode with the same read-write or read-only access, any other state `slave-ro` (the report
    /// had `mode=slave-ro state=master-ro`).
    @Test func modeNeverDisagreesWithState() {
        for state in Role.allCases {
            let isMaster = state == .masterReadWrite || state == .masterReadOnly
            #expect(state.isMaster == isMaster)
            #expect(state.mode.rawValue.hasPrefix("master-") == isMaster, "\(state): mode=\(state.mode)")
            #expect(state.mode.rawValue.hasSuffix("-rw") == (state == .masterReadWrite), "\(state): mode=\(state.mode)")
            #expect(Role.modes.contains(state.mode))
        }
        #expect(Role.masterReadOnly.mode.rawValue == "master-ro")
        #expect(Role.masterReadWrite.mode == .masterReadWrite)
        #expect(Role.slaveReadOnly.mode == .slaveReadOnly)
        #expect(Role.modes.map(\.rawValue) == ["master-rw", "master-ro", "slave-ro"])
        #expect(Role.allCases.map(\.rawValue) == ["master-rw", "master-ro", "slave-ro", "transition", "invalid"])
    }

    /// The role tag keeps the words older versions wrote (`master`, `slave`); a tag holds a master or a
    /// slave, whatever master or slave state it was given.
    @Test func tagWordsAndTags() {
        #expect(Role(tagWord: "master") == .masterReadWrite)
        #expect(Role(tagWord: "slave") == .slaveReadOnly)
        #expect(Role(tagWord: "master-rw") == nil)
        #expect(Role(tagWord: "replica") == nil)
        for role in Role.allCases { #expect(role.tagWord == (role.isMaster ? "master" : "slave")) }
        #expect(RoleTag(role: .masterReadOnly, epoch: 3) == RoleTag(role: .masterReadWrite, epoch: 3))
        #expect(RoleTag(role: .transition).role == .slaveReadOnly)
        #expect(RoleTag(role: .masterReadOnly, epoch: 3, fencedBy: 4).description == "master epoch=3 fenced=4")
        #expect(RoleTag(parsing: "slave epoch=2 synced=1") == RoleTag(role: .slaveReadOnly, epoch: 2, synced: true))
        #expect(RoleTag(parsing: "master-rw epoch=2") == nil)
    }
}
