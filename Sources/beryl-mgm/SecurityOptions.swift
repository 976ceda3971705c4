import ArgumentParser
import MGM

/// `serve`'s client-security options: authentication on the XRootD port and TLS (`roots://`).
struct SecurityOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Client authentication, in order of preference: sss, krb5 and unix (e.g. sss,krb5,unix), or none.",
        discussion: "unix (the default) trusts the name the client declares at login; sss proves it with a key of --keytab; krb5 with a Kerberos ticket for --krb5-principal; none (development) runs every request as the declared user without checks."))
    var auth = "unix"
    @Option(help: "The sss keytab (made with xrdsssadmin; mode 0600), needed when --auth names sss.")
    var keytab: String?
    @Option(name: .customLong("krb5-keytab"),
            help: "The krb5 service keytab holding --krb5-principal's key (absolute path, mode 0600; default /etc/krb5.keytab).")
    var krb5Keytab: String?
    @Option(name: .customLong("krb5-principal"),
            help: "The krb5 service principal clients get tickets for (default xrootd/<host>: this host's name, the default realm).")
    var krb5Principal: String?
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
            try AuthenticationService.validate(names, keytab: keytab, krb5Keytab: krb5Keytab, krb5Principal: krb5Principal)
        } catch {
            throw ValidationError("\(error)")
        }
        configuration.authentication = names
        configuration.keytab = keytab
        configuration.krb5Keytab = krb5Keytab
        configuration.krb5Principal = krb5Principal
        switch (tlsCert, tlsKey) {
        case (let certificate?, let key?): configuration.tls = TLSFiles(certificate: certificate, key: key)
        case (nil, nil): configuration.tls = nil
        default: throw ValidationError("--tls-cert and --tls-key go together")
        }
    }
}
