// Test support: simulated power loss. While recording, the file layer (file.h) tells this module about
// every write, truncation, fsync/fdatasync, file creation and directory sync. crash() then leaves the
// files as a power failure could: each file is cut back to what its last sync made durable and the bytes
// written after it are dropped, zeroed or replaced with garbage; files whose directory entry was never
// synced disappear. (LevelDB's fault-injection environment and SQLite's crash VFS are the models.)
// Renames are taken as durable at once; the shard log does not rename on its append path.
#pragma once

#include <cstdint>

#include "kds/status.h"

namespace kds::fault_injection {

enum class LostWrites { kDropped, kZeroed, kGarbled };

void start_recording();
void stop_recording();
bool recording();

// Applies the power loss to every file written while recording, and stops recording.
Status crash(LostWrites mode, uint64_t seed);

// While held, the producer's background syncs wait before each commit (BackgroundSyncer calls
// background_sync_point()), so a test can crash with syncs outstanding.
void hold_background_syncs(bool held);
void background_sync_point();

// Called by the file layer.
void on_write(int fd, std::string_view path, uint64_t offset, uint64_t size);
void on_truncate(std::string_view path, uint64_t size);
// A sync makes durable what was written before it began: the file layer calls before_sync() first and
// passes its answer to on_sync() once the sync succeeded.
uint64_t before_sync(std::string_view path);
void on_sync(std::string_view path, uint64_t size_before);
void on_create(std::string_view path);
void on_dir_sync(std::string_view dir_path);
void on_remove(std::string_view path);

}  // namespace kds::fault_injection
