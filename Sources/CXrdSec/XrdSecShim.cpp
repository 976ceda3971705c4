// The shim over libXrdSec-5's XrdSecService (see CXrdSec.h). Everything C++ stays in this file.
#include "CXrdSec.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "XrdNet/XrdNetAddr.hh"
#include "XrdNet/XrdNetUtils.hh"
#include "XrdOuc/XrdOucEnv.hh"
#include "XrdOuc/XrdOucErrInfo.hh"
#include "XrdSec/XrdSecInterface.hh"
#include "XrdSys/XrdSysLogger.hh"

extern "C" XrdSecService *XrdSecgetService(XrdSysLogger *lp, const char *cfn);
extern "C" XrdSecProtocol *XrdSecGetProtocol(const char *hostname, XrdNetAddrInfo &endPoint,
                                             XrdSecParameters &sectoken, XrdOucErrInfo *einfo);

struct beryl_sec_service {
    XrdSysLogger *logger;
    XrdSecService *service;
};

struct beryl_sec_session {
    XrdSecService *service;
    XrdNetAddr address;
    char *host;
    XrdSecProtocol *protocol;   // the protocol object of the exchange in progress (or done)
    char protocolName[XrdSecPROTOIDSIZE];
    bool done;
};

static void copyError(char *error, size_t size, const char *text) {
    if (error && size) snprintf(error, size, "%s", text && *text ? text : "unknown error");
}

extern "C" beryl_sec_service *beryl_sec_service_create(const char *config_path, int log_fd, char *error, size_t error_size) {
    XrdSysLogger *logger = new (std::nothrow) XrdSysLogger(log_fd, 0);
    if (!logger) { copyError(error, error_size, "out of memory"); return nullptr; }
    XrdSecService *service = XrdSecgetService(logger, config_path);
    if (!service) {
        copyError(error, error_size, "the security framework refused its configuration (see the lines above)");
        return nullptr;   // the logger stays: the library may keep a pointer to it
    }
    beryl_sec_service *result = new (std::nothrow) beryl_sec_service{logger, service};
    if (!result) copyError(error, error_size, "out of memory");
    return result;
}

extern "C" const char *beryl_sec_service_parms(beryl_sec_service *service, int *size) {
    *size = 0;
    return service->service->getParms(*size, nullptr);
}

extern "C" beryl_sec_session *beryl_sec_session_create(beryl_sec_service *service, const struct sockaddr *address, const char *host) {
    beryl_sec_session *session = new (std::nothrow) beryl_sec_session();
    if (!session) return nullptr;
    session->service = service->service;
    if (address) session->address.Set(address);
    session->host = strdup(host ? host : "");
    session->protocol = nullptr;
    session->protocolName[0] = 0;
    session->done = false;
    return session;
}

extern "C" void beryl_sec_session_free(beryl_sec_session *session) {
    if (!session) return;
    if (session->protocol) session->protocol->Delete();
    free(session->host);
    delete session;
}

extern "C" int beryl_sec_authenticate(beryl_sec_session *session, const char *credtype, const char *credentials, int size,
                                      char **more, int *more_size, char *error, size_t error_size) {
    *more = nullptr;
    *more_size = 0;
    // The library reads the credentials in place; XrdSecBuffer frees its buffer, so it gets a copy.
    char *copy = static_cast<char *>(malloc(size > 0 ? size : 1));
    if (!copy) { copyError(error, error_size, "out of memory"); return -1; }
    if (size > 0) memcpy(copy, credentials, size);
    XrdSecCredentials cred(copy, size);
    XrdOucErrInfo info;
    // A new protocol object on the first round, or when the client switches protocols (as the stock server).
    if (!session->protocol || strncmp(session->protocolName, credtype, 4) != 0) {
        if (session->protocol) { session->protocol->Delete(); session->protocol = nullptr; }
        session->done = false;
        memset(session->protocolName, 0, sizeof session->protocolName);
        memcpy(session->protocolName, credtype, 4);
        session->protocol = session->service->getProtocol(session->host, session->address, &cred, info);
        if (!session->protocol) {
            copyError(error, error_size, info.getErrText());
            return -1;
        }
    }
    XrdSecParameters *parms = nullptr;
    int rc = session->protocol->Authenticate(&cred, &parms, &info);
    if (rc == 0) {
        if (!session->service->PostProcess(session->protocol->Entity, info)) {
            copyError(error, error_size, info.getErrText());
            return -1;
        }
        session->done = true;
        return 0;
    }
    if (rc > 0) {
        if (!parms) { copyError(error, error_size, "the security protocol asked for another round without parameters"); return -1; }
        *more = static_cast<char *>(malloc(parms->size > 0 ? parms->size : 1));
        if (!*more) { delete parms; copyError(error, error_size, "out of memory"); return -1; }
        memcpy(*more, parms->buffer, parms->size);
        *more_size = parms->size;
        delete parms;
        return 1;
    }
    delete parms;
    copyError(error, error_size, info.getErrText());
    return -1;
}

extern "C" const char *beryl_sec_session_protocol(beryl_sec_session *session) {
    return session->done ? session->protocol->Entity.prot : "";
}

extern "C" const char *beryl_sec_session_name(beryl_sec_session *session) {
    const char *name = session->done ? session->protocol->Entity.name : nullptr;
    return name ? name : "";
}

extern "C" const char *beryl_sec_session_groups(beryl_sec_session *session) {
    const char *groups = session->done ? session->protocol->Entity.grps : nullptr;
    return groups ? groups : "";
}

struct beryl_sec_client {
    XrdNetAddr address;          // the server, as the connected socket's peer
    XrdOucEnv environment;       // what the stock client (XrdCl) gives the protocols: `sockname`
    XrdSecProtocol *protocol;
};

extern "C" beryl_sec_client *beryl_sec_client_create(const char *host, int socket_fd, const char *token,
                                                     int token_size, char *error, size_t error_size) {
    beryl_sec_client *client = new (std::nothrow) beryl_sec_client();
    if (!client) { copyError(error, error_size, "out of memory"); return nullptr; }
    client->protocol = nullptr;
    // The server's address from the socket (any family, whatever name the host was given by).
    if (const char *reason = client->address.Set(socket_fd, true)) {
        copyError(error, error_size, reason);
        delete client;
        return nullptr;
    }
    // Our own address as the server sees it, formatted as XrdCl does (XrdCl::Socket::GetSockName):
    // sss puts it in its credentials, and the server compares it with the connection's peer address.
    // Without it the library's sss client dereferences a null address (XrdSecsssEnt::RR_Data).
    char sockname[256];
    if (XrdNetUtils::IPFormat(-socket_fd, sockname, sizeof sockname) <= 0) {
        copyError(error, error_size, "the connection's local address is unknown (getsockname failed)");
        delete client;
        return nullptr;
    }
    client->environment.Put("sockname", sockname);
    char *copy = static_cast<char *>(malloc(token_size + 1));
    if (!copy) { delete client; copyError(error, error_size, "out of memory"); return nullptr; }
    memcpy(copy, token, token_size);
    copy[token_size] = 0;
    XrdSecParameters parameters(copy, token_size);
    XrdOucErrInfo info("", &client->environment);
    client->protocol = XrdSecGetProtocol(host, client->address, parameters, &info);
    if (!client->protocol) {
        copyError(error, error_size, info.getErrText());
        delete client;
        return nullptr;
    }
    return client;
}

extern "C" int beryl_sec_client_credentials(beryl_sec_client *client, const char *parameters, int parameters_size,
                                            char **credentials, int *credentials_size, char protocol[8],
                                            char *error, size_t error_size) {
    *credentials = nullptr;
    *credentials_size = 0;
    XrdOucErrInfo info("", &client->environment);
    XrdSecParameters *more = nullptr;
    if (parameters) {
        char *copy = static_cast<char *>(malloc(parameters_size > 0 ? parameters_size : 1));
        if (!copy) { copyError(error, error_size, "out of memory"); return -1; }
        memcpy(copy, parameters, parameters_size);
        more = new (std::nothrow) XrdSecParameters(copy, parameters_size);
        if (!more) { free(copy); copyError(error, error_size, "out of memory"); return -1; }
    }
    XrdSecCredentials *cred = client->protocol->getCredentials(more, &info);
    delete more;
    if (!cred) { copyError(error, error_size, info.getErrText()); return -1; }
    *credentials = static_cast<char *>(malloc(cred->size > 0 ? cred->size : 1));
    if (!*credentials) { delete cred; copyError(error, error_size, "out of memory"); return -1; }
    memcpy(*credentials, cred->buffer, cred->size);
    *credentials_size = cred->size;
    delete cred;
    snprintf(protocol, 8, "%.4s", client->protocol->Entity.prot);
    return 0;
}

extern "C" void beryl_sec_client_free(beryl_sec_client *client) {
    if (!client) return;
    if (client->protocol) client->protocol->Delete();
    delete client;
}
