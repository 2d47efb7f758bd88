// SPDX-License-Identifier: MIT
// A `zpcisim serve` child process on a free loopback port, for tests of the
// remote harness: started, asked for its endpoint, interrupted or killed.
#pragma once

#include <csignal>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace zpcisim::test {

class ServeProcess {
public:
	// Starts `zpcisim serve --listen tcp://127.0.0.1:* EXTRA...`.
	explicit ServeProcess(const std::string &extra = "")
	{
		int out[2];

		if (pipe(out))
			throw std::runtime_error("pipe");
		pid_ = fork();
		if (pid_ < 0)
			throw std::runtime_error("fork");
		if (!pid_) {
			dup2(out[1], STDOUT_FILENO);
			close(out[0]);
			close(out[1]);
			std::string cmd = std::string("exec '") + ZPCISIM_BIN +
					  "' serve --listen 'tcp://127.0.0.1:*' " + extra;
			execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char *>(nullptr));
			_exit(127);
		}
		close(out[1]);
		out_ = fdopen(out[0], "r");
		char line[256];
		if (!out_ || !fgets(line, sizeof(line), out_) ||
		    std::string(line).rfind("listening: ", 0) != 0) {
			kill();
			throw std::runtime_error("zpcisim serve did not start");
		}
		endpoint_ = std::string(line + 11);
		endpoint_.erase(endpoint_.find_last_not_of('\n') + 1);
	}
	~ServeProcess() { kill(); }
	ServeProcess(const ServeProcess &) = delete;
	ServeProcess &operator=(const ServeProcess &) = delete;

	const std::string &endpoint() const { return endpoint_; }
	pid_t pid() const { return pid_; }

	// @sig (SIGINT or SIGTERM), then what it printed after the endpoint and
	// its exit status (-1 if a signal ended it).
	int interrupt(std::string *report, int sig = SIGINT)
	{
		int status = 0;
		char buf[512];

		::kill(pid_, sig);
		while (report && fgets(buf, sizeof(buf), out_))
			*report += buf;
		waitpid(pid_, &status, 0);
		pid_ = 0;
		return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	}

	// Gone at once, as a crashed or killed server is.
	void kill()
	{
		if (pid_ > 0) {
			::kill(pid_, SIGKILL);
			waitpid(pid_, nullptr, 0);
			pid_ = 0;
		}
		if (out_) {
			fclose(out_);
			out_ = nullptr;
		}
	}

private:
	pid_t pid_ = 0;
	FILE *out_ = nullptr;
	std::string endpoint_;
};

}  // namespace zpcisim::test
