// A C face over XRootD's server-side security framework (libXrdSec-5, Debian's xrootd-plugins and
// libxrootd-dev): the service that answers a login with the security requirements (`&P=...`) and
// the per-connection protocol objects (sss, krb5, gsi, unix, ...) that check kXR_auth credentials.
#ifndef CXRDSEC_H
#define CXRDSEC_H

#include <stddef.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct beryl_sec_service beryl_sec_service;
typedef struct beryl_sec_session beryl_sec_session;

/// Loads the security framework configured by `config_path` (`sec.protocol`, `sec.protbind` lines);
/// its messages go to `log_fd`. NULL on failure, with the reason in `error`.
beryl_sec_service *beryl_sec_service_create(const char *config_path, int log_fd, char *error, size_t error_size);

/// The security token a kXR_login answer carries after the session id (e.g. `&P=sss,...&P=unix`);
/// NULL or size 0 when no authentication is configured. Owned by the service.
const char *beryl_sec_service_parms(beryl_sec_service *service, int *size);

/// A connection's authentication state, for the client at `address` (its host name as text).
beryl_sec_session *beryl_sec_session_create(beryl_sec_service *service, const struct sockaddr *address, const char *host);
void beryl_sec_session_free(beryl_sec_session *session);

/// One kXR_auth step: `credtype` (4 bytes, the protocol the client chose) and the credentials.
/// Returns 0 when the client is authenticated, 1 when the protocol needs another round (its
/// parameters, malloc'ed, in `*more` / `*more_size`, freed by the caller), -1 on failure (the
/// reason in `error`).
int beryl_sec_authenticate(beryl_sec_session *session, const char *credtype, const char *credentials, int size,
                           char **more, int *more_size, char *error, size_t error_size);

/// After success: the protocol that authenticated (e.g. "sss"), the name it proved, and the group
/// names the credential carries (space separated; empty when none). Owned by the session.
const char *beryl_sec_session_protocol(beryl_sec_session *session);
const char *beryl_sec_session_name(beryl_sec_session *session);
const char *beryl_sec_session_groups(beryl_sec_session *session);

/// Client side (XrdSecGetProtocol): the protocol a client picks from a login's security `token` for
/// the server at the other end of the connected socket `socket_fd` (`host` the server's name as the user
/// gave it), as the stock clients do (XrdSecPROTOCOL, XrdSecSSSKT, ... in the environment steer it). The
/// socket's local address goes to the protocols as XrdCl gives it (`sockname`: sss binds its credentials
/// to it). NULL with the reason in `error` when no protocol applies.
typedef struct beryl_sec_client beryl_sec_client;
beryl_sec_client *beryl_sec_client_create(const char *host, int socket_fd, const char *token, int token_size,
                                          char *error, size_t error_size);
/// The credentials of the next kXR_auth (`parameters` NULL at first, then a kXR_authmore's), malloc'ed
/// into `*credentials` (freed by the caller), and the protocol's name (at most 4 characters) in `protocol`.
/// 0 on success, -1 with the reason in `error`.
int beryl_sec_client_credentials(beryl_sec_client *client, const char *parameters, int parameters_size,
                                 char **credentials, int *credentials_size, char protocol[8], char *error, size_t error_size);
void beryl_sec_client_free(beryl_sec_client *client);

#ifdef __cplusplus
}
#endif
#endif
