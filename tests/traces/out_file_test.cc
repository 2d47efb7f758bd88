// SPDX-License-Identifier: MIT
// Output files: replaced whole when regular, written through otherwise,
// never over an input, and no temporaries left behind by dead runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <dirent.h>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <ztrace/out_file.h>

#include "support/temp_dir.h"

namespace {

using zpcisim::test::slurp;
using zpcisim::test::TempDir;

// Open, write @text, commit: 0 or the negative errno, @diag saying why.
int write_whole(const std::string &path, const std::string &text, ztrace_diag *diag,
		const char *const *inputs = nullptr)
{
	ztrace_out *o;
	int rc = ztrace_out_open(path.c_str(), inputs, &o, diag);

	if (rc)
		return rc;
	ztrace_out_write(o, text.data(), text.size());
	return ztrace_out_commit(o, diag);
}

std::vector<std::string> names_in(const std::string &dir)
{
	std::vector<std::string> names;
	DIR *d = opendir(dir.c_str());
	while (dirent *e = d ? readdir(d) : nullptr)
		if (std::string(e->d_name) != "." && std::string(e->d_name) != "..")
			names.push_back(e->d_name);
	if (d)
		closedir(d);
	std::sort(names.begin(), names.end());
	return names;
}

// A process id nothing runs under: a child that has exited and been reaped.
pid_t dead_pid()
{
	pid_t pid = fork();
	if (!pid)
		_exit(0);
	waitpid(pid, nullptr, 0);
	return pid;
}

TEST(OutFile, NewAndRegularFilesAppearWholeWithNothingBeside)
{
	TempDir d;
	ztrace_diag diag;
	ztrace_out *o;

	ASSERT_EQ(ztrace_out_open(d.file("a.json").c_str(), nullptr, &o, &diag), 0) << diag.msg;
	ztrace_out_write(o, "new", 3);
	// Until the commit the target is not there, its temporary is.
	EXPECT_EQ(names_in(d.file("")).size(), 1u);
	EXPECT_NE(names_in(d.file(""))[0].find(".zpcisim-tmp-"), std::string::npos);
	EXPECT_NE(access(d.file("a.json").c_str(), F_OK), 0);
	ASSERT_EQ(ztrace_out_commit(o, &diag), 0) << diag.msg;
	EXPECT_EQ(slurp(d.file("a.json")), "new");
	ASSERT_EQ(write_whole(d.file("a.json"), "again", &diag), 0) << diag.msg;
	EXPECT_EQ(slurp(d.file("a.json")), "again");
	EXPECT_EQ(names_in(d.file("")), std::vector<std::string>{ "a.json" });
}

// 27.4: a symlink once became a regular file, its target untouched.
TEST(OutFile, ASymlinksTargetIsReplacedAndTheLinkStays)
{
	TempDir d;
	ztrace_diag diag;

	ASSERT_EQ(write_whole(d.file("real.json"), "old", &diag), 0) << diag.msg;
	ASSERT_EQ(symlink("real.json", d.file("link.json").c_str()), 0);
	ASSERT_EQ(write_whole(d.file("link.json"), "new", &diag), 0) << diag.msg;
	struct stat st;
	ASSERT_EQ(lstat(d.file("link.json").c_str(), &st), 0);
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	EXPECT_EQ(slurp(d.file("real.json")), "new");
	EXPECT_EQ(names_in(d.file("")), (std::vector<std::string>{ "link.json", "real.json" }));
}

// 27.4: a FIFO was replaced by a regular file; its reader must get the bytes.
TEST(OutFile, AFifoIsWrittenThrough)
{
	TempDir d;
	ztrace_diag diag;
	std::string fifo = d.file("pipe"), got;

	ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
	std::thread reader([&] { got = slurp(fifo); });
	EXPECT_EQ(write_whole(fifo, "through", &diag), 0) << diag.msg;
	reader.join();
	EXPECT_EQ(got, "through");
	struct stat st;
	ASSERT_EQ(lstat(fifo.c_str(), &st), 0);
	EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

// 27.4: "-" was a file named "-".
TEST(OutFile, DashIsStandardOutput)
{
	TempDir d;
	ztrace_diag diag;
	int pipefd[2], saved = dup(STDOUT_FILENO);

	ASSERT_EQ(pipe(pipefd), 0);
	fflush(stdout);
	dup2(pipefd[1], STDOUT_FILENO);
	close(pipefd[1]);
	int rc = write_whole("-", "to stdout", &diag);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	ASSERT_EQ(rc, 0) << diag.msg;
	char buf[64];
	ssize_t n = read(pipefd[0], buf, sizeof(buf));
	close(pipefd[0]);
	EXPECT_EQ(std::string(buf, n > 0 ? n : 0), "to stdout");
	EXPECT_NE(access("-", F_OK), 0);
}

// 29.12: an output that is an input, by another name too, is refused.
TEST(OutFile, AnInputIsRefusedUnderAnyName)
{
	TempDir d;
	ztrace_diag diag;
	std::string in = d.file("t.ztr");
	const char *inputs[] = { in.c_str(), nullptr };

	fclose(fopen(in.c_str(), "w"));
	ASSERT_EQ(symlink("t.ztr", d.file("also.ztr").c_str()), 0);
	EXPECT_EQ(write_whole(in, "json", &diag, inputs), -EINVAL);
	EXPECT_EQ(std::string(diag.msg), in + ": is the input " + in + ": refusing to overwrite it");
	EXPECT_EQ(write_whole(d.file("also.ztr"), "json", &diag, inputs), -EINVAL);
	EXPECT_EQ(slurp(in), "");
	EXPECT_EQ(write_whole(d.file("other.ztr"), "ok", &diag, inputs), 0) << diag.msg;
}

// 29.23: '' wrote nothing and succeeded.
TEST(OutFile, AnEmptyPathIsRefused)
{
	ztrace_diag diag;
	ztrace_out *o;

	EXPECT_EQ(ztrace_out_open("", nullptr, &o, &diag), -EINVAL);
	EXPECT_EQ(std::string(diag.msg), "'': an empty path names no file");
}

// 27.5: a bad place fails at open, before any work, naming the path.
TEST(OutFile, ABadPlaceFailsAtOpen)
{
	TempDir d;
	ztrace_diag diag;
	ztrace_out *o;

	EXPECT_EQ(ztrace_out_open("/nonexistent/dir/t.json", nullptr, &o, &diag), -ENOENT);
	EXPECT_EQ(std::string(diag.msg),
		  "/nonexistent/dir/t.json: cannot create: No such file or directory");
	EXPECT_EQ(ztrace_out_open(d.file("").c_str(), nullptr, &o, &diag), -EISDIR);
}

// 29.13, 29.24: a full device fails the commit with ENOSPC, naming it.
// Through a symlink: broken code running as root replaces the link, not
// the device.
TEST(OutFile, AFullDeviceFailsWithNoSpace)
{
	TempDir d;
	ztrace_diag diag;
	std::string full = d.file("full");

	ASSERT_EQ(symlink("/dev/full", full.c_str()), 0);
	EXPECT_EQ(write_whole(full, "x", &diag), -ENOSPC);
	EXPECT_EQ(std::string(diag.msg), full + ": cannot write: No space left on device");
	EXPECT_EQ(write_whole(full, std::string(1 << 20, 'x'), &diag), -ENOSPC);
}

// 29.15: a killed run's temporary is removed by the next run writing the
// same output; a live process's, and other outputs', stay.
TEST(OutFile, DeadRunsTemporariesOfTheSameOutputAreRemoved)
{
	TempDir d;
	ztrace_diag diag;
	std::string dead = ".zpcisim-tmp-" + std::to_string(dead_pid()) + "-0.out.ztb";
	std::string live = ".zpcisim-tmp-" + std::to_string(getppid()) + "-0.out.ztb";
	std::string other = ".zpcisim-tmp-" + std::to_string(dead_pid()) + "-0.other.ztb";

	for (const std::string &n : { dead, live, other })
		fclose(fopen(d.file(n).c_str(), "w"));
	ASSERT_EQ(write_whole(d.file("out.ztb"), "x", &diag), 0) << diag.msg;
	std::vector<std::string> want = { live, other, "out.ztb" };
	std::sort(want.begin(), want.end());
	EXPECT_EQ(names_in(d.file("")), want);
}

}  // namespace
