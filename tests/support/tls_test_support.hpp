// Helpers for the TLS tests (POSIX): certificates made at test time with the
// `openssl` command (nothing committed), and peer processes (openssl
// s_server/s_client, tests/tls/tls_peer.py) with pipes to talk to them.
#ifndef OUTLET_TESTS_TLS_TEST_SUPPORT_HPP
#define OUTLET_TESTS_TLS_TEST_SUPPORT_HPP

#include <outlet/tls.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace outlet_tls_test {

/// The certificates every case uses, made once per process in a fresh
/// temporary directory (removed at exit): a test CA, server certificates
/// for localhost/127.0.0.1/::1 (valid, expired, for another name, from an
/// untrusted CA, self-signed), and a client certificate.
class Certificates {
public:
  static const Certificates& get() {
    static const Certificates certificates;
    return certificates;
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string ca() const { return path("ca.pem"); }
  std::string read(const std::string& name) const {
    std::ifstream in(path(name));
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  Certificates(const Certificates&) = delete;
  Certificates& operator=(const Certificates&) = delete;
  ~Certificates() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

private:
  Certificates() {
    std::string pattern = (std::filesystem::temp_directory_path() / "outlet-tls-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    try {
      make_all();
    } catch (...) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
      throw;
    }
  }
  void make_all() {
    const std::string all = "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n";
    make_ca("ca", "outlet test CA");
    make_ca("ca2", "outlet untrusted CA");
    make_leaf("server", "ca", "localhost", all, "2");
    make_leaf("expired", "ca", "localhost", all, "-1");
    make_leaf("other", "ca", "other.test", "subjectAltName=DNS:other.test\n", "2");
    make_leaf("untrusted", "ca2", "localhost", all, "2");
    make_leaf("client", "ca", "outlet test client", "extendedKeyUsage=clientAuth\n", "2");
    write("self.cnf",
          "[req]\ndistinguished_name=dn\nx509_extensions=v3\n[dn]\n[v3]\n"
          "basicConstraints=critical,CA:FALSE\n" +
              all);
    run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + path("self.key") + " -out " +
        path("self.pem") + " -subj /CN=localhost -days 2 -config " + path("self.cnf"));
  }
  void write(const std::string& name, const std::string& text) const { std::ofstream(path(name)) << text; }
  static void run(const std::string& command) {
    const std::string quiet = command + " >/dev/null 2>&1";
    if (std::system(quiet.c_str()) != 0) throw std::runtime_error("failed: " + command);
  }
  void make_ca(const std::string& name, const std::string& cn) const {
    write(name + ".cnf",
          "[req]\ndistinguished_name=dn\nx509_extensions=v3\n[dn]\n[v3]\n"
          "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
          "subjectKeyIdentifier=hash\n");
    run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + path(name + ".key") +
        " -out " + path(name + ".pem") + " -subj '/CN=" + cn + "' -days 2 -config " + path(name + ".cnf"));
  }
  void make_leaf(const std::string& name, const std::string& ca, const std::string& cn, const std::string& ext,
                 const std::string& days) const {
    write(name + ".ext", "basicConstraints=critical,CA:FALSE\n" + ext);
    run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + path(name + ".key") + " -out " +
        path(name + ".csr") + " -subj '/CN=" + cn + "' -config " + path("ca.cnf"));
    run("openssl x509 -req -in " + path(name + ".csr") + " -CA " + path(ca + ".pem") + " -CAkey " + path(ca + ".key") +
        " -set_serial " + std::to_string(++serial_) + " -out " + path(name + ".pem") + " -days " + days + " -extfile " +
        path(name + ".ext"));
  }
  std::filesystem::path dir_;
  mutable int serial_ = 1000;
};

/// A child process with its stdin and stdout on pipes; killed and reaped
/// when destroyed.
class Process {
public:
  explicit Process(const std::vector<std::string>& argv) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 2);
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process() {
    close_stdin();
    if (stdout_ >= 0) ::close(stdout_);
    if (pid_ > 0) {
      if (!exited_) {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
      }
    }
  }

  void write(const std::string& text) const {
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(stdin_, text.data() + done, text.size() - done);
      if (n <= 0) throw std::runtime_error("write to child failed");
      done += static_cast<std::size_t>(n);
    }
  }
  void close_stdin() {
    if (stdin_ >= 0) ::close(stdin_);
    stdin_ = -1;
  }

  /// The next line of output (without '\n'); "" at end of output or after
  /// `timeout`.
  std::string line(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string result = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return result;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      if (left.count() <= 0 || stdout_ < 0) return {};
      pollfd p{stdout_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[4096];
      const ssize_t n = ::read(stdout_, chunk, sizeof chunk);
      if (n <= 0) {
        ::close(stdout_);
        stdout_ = -1;
        if (buffer_.empty()) return {};
        std::string rest = buffer_;
        buffer_.clear();
        return rest;
      }
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  /// The first line that starts with `prefix` (others are skipped), or "".
  std::string line_starting(const std::string& prefix) {
    for (;;) {
      std::string l = line();
      if (l.empty() && stdout_ < 0) return {};
      if (l.rfind(prefix, 0) == 0) return l;
      if (l.empty()) return {};
    }
  }
  /// All remaining output (until the process closes stdout), as lines.
  std::vector<std::string> rest() {
    std::vector<std::string> lines;
    for (;;) {
      std::string l = line();
      if (l.empty() && stdout_ < 0) return lines;
      if (l.empty() && stdout_ >= 0) return lines;  // timed out
      lines.push_back(l);
    }
  }
  /// Waits for the process to exit: its exit status, or -1 if killed.
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  bool exited_ = false;
  std::string buffer_;
};

/// The Python peer (tests/tls/tls_peer.py; OUTLET_TLS_PEER is its path).
inline std::vector<std::string> python_peer(std::vector<std::string> args) {
  args.insert(args.begin(), {"python3", OUTLET_TLS_PEER});
  return args;
}

/// Reads "PORT <n>" (tls_peer.py) or "ACCEPT <host>:<n>" (openssl s_server).
inline std::uint16_t read_port(Process& process) {
  for (int i = 0; i < 20; ++i) {
    const std::string l = process.line();
    if (l.empty()) break;
    if (l.rfind("PORT ", 0) == 0) return static_cast<std::uint16_t>(std::stoi(l.substr(5)));
    if (l.rfind("ACCEPT ", 0) == 0) return static_cast<std::uint16_t>(std::stoi(l.substr(l.rfind(':') + 1)));
  }
  throw std::runtime_error("the peer printed no port");
}

}  // namespace outlet_tls_test

#endif  // OUTLET_TESTS_TLS_TEST_SUPPORT_HPP
