import Testing
import Glibc
@testable import Namespace

/// Random operation sequences applied to the namespace and to `ReferenceModel`: every result
/// (success or errno) must agree, and so must the full listings, before and after a reboot.
@Suite struct RandomOperationTests {
    static let names = ["a", "b", "c", "dé"]

    static func randomPath(_ g: inout SeededGenerator, _ model: ReferenceModel) -> String {
        if Int.random(in: 0..<3, using: &g) > 0, let existing = model.entries.keys.sorted().randomElement(using: &g) {
            if Bool.random(using: &g) { return existing }
            return ReferenceModel.join(existing, names.randomElement(using: &g)!)
        }
        let depth = Int.random(in: 1...3, using: &g)
        return "/" + (0..<depth).map { _ in names.randomElement(using: &g)! }.joined(separator: "/")
    }

    /// Applies one random operation to both; returns a description when they disagree.
    static func step(_ g: inout SeededGenerator, _ ns: Namespace, _ model: inout ReferenceModel,
                     _ movedDirectories: inout Int) -> String? {
        let path = randomPath(&g, model)
        let op = Int.random(in: 0..<10, using: &g)
        var expected: Int32?
        var actual: Int32?
        switch op {
        case 0:
            expected = model.create(path, .init(kind: .file, mode: 0o100644))
            actual = errnoOf { try ns.createFile(path, attributes: fixedAttributes) }
        case 1:
            expected = model.mkdirp(path)
            actual = errnoOf { try ns.createContainer(path, attributes: fixedAttributes, missingParents: .create) }
        case 2:
            let destination = randomPath(&g, model)
            expected = model.rename(path, destination)
            actual = errnoOf { try ns.rename(path, to: destination) }
            if expected == nil && actual == nil && model.entries[destination]?.kind == .directory { movedDirectories += 1 }
            if expected != actual { return "rename \(path) -> \(destination): model \(String(describing: expected)) ns \(String(describing: actual))" }
        case 3:
            expected = model.removeFile(path)
            actual = errnoOf { try ns.removeFile(path) }
        case 4:
            expected = model.removeDirectory(path)
            actual = errnoOf { try ns.removeContainer(path) }
        case 5, 6, 8, 9:
            expected = model.fileError(path)
            let size = UInt64.random(in: 0...1 << 40, using: &g)
            let location = UInt32.random(in: 1...4, using: &g)
            actual = errnoOf {
                let id = try ns.fileID(at: path)
                switch op {
                case 5: try ns.setSize(id, size)
                case 6: try ns.setXattr(id, key: "user.k\(location)", value: "v\(size)")
                case 8: try ns.addLocation(location, to: id)
                default: try ns.setMode(id, 0o100600 | (location & 1))
                }
            }
            if expected == nil {
                switch op {
                case 5: model.entries[path]!.size = size
                case 6: model.entries[path]!.xattrs["user.k\(location)"] = "v\(size)"
                case 8: if !model.entries[path]!.locations.contains(location) { model.entries[path]!.locations.append(location) }
                default: model.entries[path]!.mode = 0o100600 | (location & 1)
                }
            }
        default:
            let target = "../t/\(op)"
            expected = model.create(path, .init(kind: .symlink(target), mode: 0o120777))
            actual = errnoOf { try ns.createSymlink(path, target: target, attributes: fixedAttributes) }
        }
        return expected == actual ? nil : "op \(op) on \(path): model \(String(describing: expected)) ns \(String(describing: actual))"
    }

    @Test(arguments: [11, 12, 13, 14] as [UInt64])
    func agreesWithModelAcrossReboots(seed: UInt64) throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var g = SeededGenerator(seed: seed)
        var model = ReferenceModel()
        var movedDirectories = 0
        var ns = try Namespace.boot(dir.configuration())
        for round in 0..<4 {
            for i in 0..<300 {
                if let problem = Self.step(&g, ns, &model, &movedDirectories) {
                    Issue.record("seed \(seed) round \(round) step \(i): \(problem)")
                    return
                }
            }
            #expect(try ns.snapshot() == model.entries, "seed \(seed) round \(round) before reboot")
            let files = model.entries.values.filter { $0.kind != .directory }.count
            #expect(ns.fileCount == files)
            #expect(ns.containerCount == model.entries.count - files)
            let nextFile = ns.nextFileID
            ns.close()
            ns = try Namespace.boot(dir.configuration())
            #expect(ns.bootReport.repairs.isEmpty)
            #expect(ns.nextFileID == nextFile)
            #expect(try ns.snapshot() == model.entries, "seed \(seed) round \(round) after reboot")
        }
        #expect(movedDirectories >= 2, "the sequences should move directories")
        #expect(model.entries.count > 20, "the sequences should build a tree")
        let fileCount = ns.fileCount
        ns.close()
        let measured = try Namespace.measureBoot(dir.configuration(role: .masterReadOnly))
        #expect(measured.files == fileCount && measured.recordsScanned > 0 && measured.seconds > 0)
        let readOnly = try Namespace.boot(dir.configuration(role: .masterReadOnly))
        #expect(try readOnly.snapshot() == model.entries)
    }
}
