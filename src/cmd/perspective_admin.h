#pragma once
// `flint admin perspective ...`: credentials for remote validation perspectives (`flint
// va-agent`), minted by this CA (perspective/credentials.h). These commands work on the data
// directory's files only, not on the store.
//
//   flint admin --data DIR perspective add NAME --out AGENTDIR
//     creates DIR/perspectives (the perspective CA and the CA's client certificate) on first
//     use, then writes AGENTDIR: the agent's key (0600), its certificate, the trust anchor and
//     its name (agent.json). Prints the files written. Run again to re-issue.

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include "core/result.h"

namespace flint::cmd {

// A command that needs no store: runs with the output stream.
using StandaloneCommand = std::function<core::Result<void>(std::ostream& out)>;

// Adds the "perspective" group to `app`. `data_dir` and `json` are the parent's --data and
// --json (read when the command runs); the chosen command is stored in `chosen`.
void DefinePerspectiveCommands(CLI::App& app, const std::string& data_dir, const bool& json,
                               std::optional<StandaloneCommand>& chosen);

}  // namespace flint::cmd
