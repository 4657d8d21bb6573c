#pragma once
// `flint va-agent`: one remote network perspective (CA/Browser Forum BR §3.2.2.9) serving the CA
// that minted its credentials (`flint admin perspective add`, perspective/credentials.h).
//
//   flint va-agent --data AGENTDIR --listen HOST:PORT [--dns-resolver HOST:PORT]
//                  [--http01-port N] [--tlsalpn01-port N] [--allow-private-targets]
//                  [--validation-workers N] [--log-level LEVEL]
//
// It answers perspective/wire.h's POST /validate and /caa over mutual TLS
// (perspective/agent_server.h) with the verdict of its own local validation authority
// (va::ValidationAuthority, from this agent's network and resolver), checking CAA against the
// CAA identities the CA sends. Runs until SIGINT or SIGTERM.

#include <string>
#include <vector>

namespace flint::cmd {

// `args` are the words after "va-agent". Returns the exit status: 0 after a clean stop, 1 when
// it cannot start (credentials, resolver, listener), 2 for bad usage.
int RunVaAgent(const std::vector<std::string>& args);

}  // namespace flint::cmd
