// Exclusive file locks (file.h: lock_file, try_lock_file, unlock_file), as writers, control operations
// and kds-fsck take them: one holder at a time across open files of the same file.
#include <doctest/doctest.h>

#include <fcntl.h>

#include "kds/file.h"
#include "temp_dir.h"

TEST_CASE("file locks exclude other open files of the same file until unlocked or closed") {
  kds_test::TempDir temp;
  auto dir = kds::Dir::open(temp.path(), false);
  REQUIRE(dir.ok());
  auto holder = dir->open_file("x.lock", O_RDWR | O_CREAT);
  auto other = dir->open_file("x.lock", O_RDWR);
  REQUIRE(holder.ok());
  REQUIRE(other.ok());

  REQUIRE(kds::lock_file(*holder, dir->path_of("x.lock")).ok());
  auto taken = kds::try_lock_file(*other, dir->path_of("x.lock"));
  REQUIRE(taken.ok());
  CHECK_FALSE(*taken);

  kds::unlock_file(*holder);
  taken = kds::try_lock_file(*other, dir->path_of("x.lock"));
  REQUIRE(taken.ok());
  CHECK(*taken);
  // Now `other` holds it; closing it releases the lock.
  holder->reset();
  other->reset();
  auto again = dir->open_file("x.lock", O_RDWR);
  REQUIRE(again.ok());
  taken = kds::try_lock_file(*again, dir->path_of("x.lock"));
  REQUIRE(taken.ok());
  CHECK(*taken);
}

TEST_CASE("file locks report a descriptor that cannot be locked") {
  kds::Fd closed;
  CHECK_FALSE(kds::lock_file(closed, "nowhere").ok());
  CHECK_FALSE(kds::try_lock_file(closed, "nowhere").ok());
}
