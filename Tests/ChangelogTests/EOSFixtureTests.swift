import Testing

/// The tests that compare with EOS's own output: the fixtures written, compacted and repaired by
/// EOS's code (`EOSFixtures`). They run when the fixtures exist (as in CI) and are otherwise skipped
/// as one suite, with one line naming the path. Each file adds its fixture tests to this suite in an
/// extension; every behaviour they check is also covered by a test beside them on legacy logs this
/// project writes (`LegacyCorpus`), which always runs.
@Suite("EOS fixtures (changelog)", .enabled(if: EOSFixtures.available, Comment(rawValue: EOSFixtures.skipReason)))
struct EOSFixtureTests {}
