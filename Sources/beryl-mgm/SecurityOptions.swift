import ArgumentParser
import MGM

/// `serve`'s client-security options: authentication on the XRootD port and TLS (`roots://`).
struct SecurityOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Client authentication, in order of preference: sss and unix (e.g. sss,unix), or none.",
        discussion: "unix (the default) trusts the name the client declares at login; sss proves it with a key of --keytab; none (development) runs every request as the declared user without checks."))
    var auth = "unix"
    @Option(help: "The sss keytab (made with xrdsssadmin; mode 0600), needed when --auth names sss.")
    var keytab: String?

    /// Fills `configuration`'s security fields; a usage error for a malformed list.
    func apply(to configuration: inout MGMConfiguration) throws {
        let names = auth.split(separator: ",", omittingEmptySubsequences: false)
            .map { String($0).trimmingCharacters(in: " ") }
        do throws(MGMError) {
            try AuthenticationService.validate(names, keytab: keytab)
        } catch {
            throw ValidationError("\(error)")
        }
        configuration.authentication = names
        configuration.keytab = keytab
    }
}
