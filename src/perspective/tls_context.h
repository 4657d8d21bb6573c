#pragma once
// The two ends of the CA <-> agent mutual TLS (perspective/credentials.h), as Asio SSL contexts:
// TLS 1.3 only (both ends are flint), the perspective CA as the only trust anchor, the peer's
// certificate required, and its role checked by extended key usage.

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string_view>

#include "core/result.h"
#include "perspective/credentials.h"

namespace flint::perspective {

// The agent's server context: presents the agent certificate; requires a client certificate
// from the perspective CA with EKU clientAuth and the name kCaClientName.
core::Result<std::unique_ptr<boost::asio::ssl::context>> AgentTlsContext(const TlsIdentity& id);

// The CA's client context: presents the client certificate; requires a server certificate from
// the perspective CA with EKU serverAuth. The agent's name is checked per connection
// (ExpectPeerName), since one context serves every agent.
core::Result<std::unique_ptr<boost::asio::ssl::context>> CaClientTlsContext(
    const TlsIdentity& id);

// On one connection (an SSL*), before the handshake: the peer certificate must carry dNSName
// `name`; also sent as SNI. False on an OpenSSL failure.
bool ExpectPeerName(void* ssl, std::string_view name);

}  // namespace flint::perspective
