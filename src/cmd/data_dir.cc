#include "cmd/data_dir.h"

#include <filesystem>

#include "sa/sqlite_store.h"

namespace flint::cmd {

std::string StorePath(const std::string& data_dir) { return data_dir + "/" + kStoreFile; }

core::Result<std::unique_ptr<sa::Store>> OpenExistingStore(const std::string& data_dir,
                                                           const core::Clock& clock) {
  const std::string path = StorePath(data_dir);
  if (!std::filesystem::exists(path)) {
    return core::Err(core::ErrorType::kNotFound,
                     "no " + path + " (has flint serve --data " + data_dir + " run?)");
  }
  FLINT_ASSIGN_OR_RETURN(std::unique_ptr<sa::SqliteStore> store,
                         sa::SqliteStore::Open(path, clock));
  return std::unique_ptr<sa::Store>(std::move(store));
}

}  // namespace flint::cmd
