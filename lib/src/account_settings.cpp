#include "kds/account_settings.h"

#include <fcntl.h>
#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace kds {

using nlohmann::ordered_json;

namespace {

constexpr const char* kAccountSettingsName = "account.json";
constexpr const char* kAccountLockName = "account.lock";
constexpr int kAccountFormatVersion = 1;

std::optional<int64_t> optional_ms(const ordered_json& object, const char* key) {
  if (!object.contains(key)) return std::nullopt;
  if (!object.at(key).is_number_integer())
    throw std::invalid_argument(fmt::format("{} is not an integer", key));
  return object.at(key).get<int64_t>();
}

}  // namespace

BillingCommitment BillingCommitment::at(int64_t now_ms) const {
  BillingCommitment current = *this;
  if (status == "ENABLED_UNTIL_EARLIEST_ALLOWED_END" && earliest_end_ms && now_ms >= *earliest_end_ms) {
    current.status = "DISABLED";
    current.ended_ms = earliest_end_ms;
  }
  return current;
}

BillingCommitment BillingCommitment::updated(bool enable, int64_t now_ms) const {
  BillingCommitment next = at(now_ms);
  if (enable) {
    if (next.status == "DISABLED") {
      next = BillingCommitment{"ENABLED", now_ms, std::nullopt, now_ms + kCommitmentMinimumMs};
    } else {
      next.status = "ENABLED";  // a pending disable is cancelled
      next.ended_ms.reset();
    }
  } else if (next.status != "DISABLED") {
    const int64_t end = std::max(now_ms, next.earliest_end_ms.value_or(now_ms));
    next.status = end > now_ms ? "ENABLED_UNTIL_EARLIEST_ALLOWED_END" : "DISABLED";
    next.ended_ms = end;
  }
  return next;
}

std::string AccountSettings::to_json() const {
  ordered_json item = {{"Status", commitment.status}};
  if (commitment.started_ms) item["StartedAtMs"] = *commitment.started_ms;
  if (commitment.ended_ms) item["EndedAtMs"] = *commitment.ended_ms;
  if (commitment.earliest_end_ms) item["EarliestAllowedEndAtMs"] = *commitment.earliest_end_ms;
  ordered_json doc = {{"FormatVersion", kAccountFormatVersion}, {"MinimumThroughputBillingCommitment", item}};
  return doc.dump(1) + "\n";
}

Result<AccountSettings> AccountSettings::from_json(std::string_view text, std::string_view path) {
  AccountSettings settings;
  try {
    const auto doc = ordered_json::parse(text);
    const auto& version = doc.at("FormatVersion");
    if (!version.is_number_integer() || version.get<int64_t>() != kAccountFormatVersion) {
      throw std::invalid_argument(fmt::format("format version {} is not supported", version.dump()));
    }
    const auto& item = doc.at("MinimumThroughputBillingCommitment");
    settings.commitment.status = item.at("Status").get<std::string>();
    if (settings.commitment.status != "ENABLED" && settings.commitment.status != "DISABLED" &&
        settings.commitment.status != "ENABLED_UNTIL_EARLIEST_ALLOWED_END") {
      throw std::invalid_argument("unknown Status " + settings.commitment.status);
    }
    settings.commitment.started_ms = optional_ms(item, "StartedAtMs");
    settings.commitment.ended_ms = optional_ms(item, "EndedAtMs");
    settings.commitment.earliest_end_ms = optional_ms(item, "EarliestAllowedEndAtMs");
  } catch (const std::exception& e) {
    return Error(Errc::kCorruption, fmt::format("{}: not valid account settings: {}", path, e.what()));
  }
  return settings;
}

Result<AccountSettings> read_account_settings(const Store& store) {
  KDS_ASSIGN(auto text, store.dir().read_file_if_present(kAccountSettingsName));
  if (!text) return AccountSettings{};
  return AccountSettings::from_json(*text, store.dir().path_of(kAccountSettingsName));
}

Status change_account_settings(const Store& store, const std::function<Status(AccountSettings&)>& change) {
  KDS_ASSIGN(Fd lock, store.dir().open_file(kAccountLockName, O_RDWR | O_CREAT));
  KDS_TRY(lock_file(lock, store.dir().path_of(kAccountLockName)));
  KDS_ASSIGN(AccountSettings settings, read_account_settings(store));
  KDS_TRY(change(settings));
  return store.dir().write_file_atomic(kAccountSettingsName, settings.to_json());
}

}  // namespace kds
