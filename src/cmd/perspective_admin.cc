#include "cmd/perspective_admin.h"

#include <boost/json.hpp>
#include <memory>

#include "cmd/admin_records.h"
#include "core/clock.h"
#include "core/random.h"
#include "perspective/credentials.h"

namespace flint::cmd {

void DefinePerspectiveCommands(CLI::App& app, const std::string& data_dir, const bool& json,
                               std::optional<StandaloneCommand>& chosen) {
  CLI::App* group = app.add_subcommand(
      "perspective", "remote validation perspectives (flint va-agent, CA/B Forum BR 3.2.2.9)");
  group->fallthrough();
  group->require_subcommand(1);
  auto name = std::make_shared<std::string>();
  auto out_dir = std::make_shared<std::string>();
  CLI::App* add = group->add_subcommand(
      "add", "mint mutual-TLS credentials for agent NAME into AGENTDIR (flint va-agent --data)");
  add->fallthrough();
  add->add_option("NAME", *name, "the perspective's name: a-z, 0-9, '-' (at most 32)")
      ->required();
  add->add_option("--out", *out_dir, "directory to write the agent's files to")->required();
  add->callback([&chosen, &data_dir, &json, name, out_dir] {
    chosen = [&data_dir, &json, name, out_dir](std::ostream& out) -> core::Result<void> {
      core::SystemClock clock;
      core::SecureRandom random;
      FLINT_TRY(perspective::MintAgent(data_dir, *name, *out_dir, clock, random));
      boost::json::object o;
      o["name"] = *name;
      o["agent_dir"] = *out_dir;
      o["key"] = *out_dir + "/" + perspective::kAgentKeyFile;
      o["certificate"] = *out_dir + "/" + perspective::kAgentCertFile;
      o["trust_anchor"] = *out_dir + "/" + perspective::kAgentTrustFile;
      o["client_certificate"] =
          data_dir + "/" + perspective::kPerspectiveDir + "/" + perspective::kClientCertFile;
      PrintRecord(out, o, json);
      return core::Ok();
    };
  });
}

}  // namespace flint::cmd
