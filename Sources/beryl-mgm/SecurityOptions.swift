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
    @Option(name: .customLong("tls-cert"),
            help: "PEM certificate chain for TLS on the client port (roots://); with --tls-key.")
    var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.")
    var tlsKey: String?

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
        switch (tlsCert, tlsKey) {
        case (let certificate?, let key?): configuration.tls = TLSFiles(certificate: certificate, key: key)
        case (nil, nil): configuration.tls = nil
        default: throw ValidationError("--tls-cert and --tls-key go together")
        }
    }
}
