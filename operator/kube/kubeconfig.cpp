#include "operator/kube/kubeconfig.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <memory>

#include "operator/kube/base64.h"
#include "operator/kube/exec_credential.h"
#include "operator/kube/file_token_source.h"
#include "operator/util/read_file.h"

namespace lg::kube {
namespace {

struct File {
  std::string path;
  std::string dir;
  YAML::Node root;
};

// A named entry (a cluster, user or context) and the file that defined it.
struct Entry {
  const File* file = nullptr;
  YAML::Node body;    // the "cluster:" / "user:" / "context:" map
  std::string where;  // "<file>: users[\"admin\"].user", for messages
};

std::string resolvePath(const File& file, const std::string& p) {
  if (p.empty() || p.front() == '/') return p;
  return (std::filesystem::path(file.dir) / p).lexically_normal().string();
}

bool present(const YAML::Node& map, const char* key) {
  return map.IsMap() && map[key] && !map[key].IsNull();
}

Result<std::string> getString(const YAML::Node& map, const char* key, const std::string& where) {
  if (!present(map, key)) return std::string();
  const YAML::Node v = map[key];
  if (!v.IsScalar()) return makeError(where + "." + key + ": must be a string");
  return v.Scalar();
}

Result<bool> getBool(const YAML::Node& map, const char* key, const std::string& where) {
  if (!present(map, key)) return false;
  bool b = false;
  if (!map[key].IsScalar() || !YAML::convert<bool>::decode(map[key], b)) {
    return makeError(where + "." + key + ": must be true or false");
  }
  return b;
}

// The first definition of `name` in section ("clusters", "users", "contexts"), across files.
Result<Entry> findEntry(const std::vector<File>& files, const char* section, const char* field,
                        const std::string& name) {
  for (const File& f : files) {
    const YAML::Node list = f.root.IsMap() ? f.root[section] : YAML::Node();
    if (!list || list.IsNull()) continue;
    if (!list.IsSequence()) return makeError(f.path + ": " + section + " must be a list");
    for (size_t i = 0; i < list.size(); ++i) {
      const YAML::Node item = list[i];
      if (!item.IsMap() || !item["name"] || !item["name"].IsScalar()) continue;
      if (item["name"].Scalar() != name) continue;
      Entry e{&f, item[field], f.path + ": " + section + "[\"" + name + "\"]." + field};
      if (e.body && !e.body.IsNull() && !e.body.IsMap()) {
        return makeError(e.where + ": must be a map");
      }
      return e;
    }
  }
  return makeError("not found");
}

std::string fileList(const std::vector<File>& files) {
  std::string s;
  for (const File& f : files)
    s += (s.empty() ? "" : ":") + f.path;
  return s;
}

// "<x>-data" (base64) wins over "<x>" (a file path), as in client-go.
Result<std::string> dataOrFile(const Entry& e, const char* dataKey, const char* fileKey) {
  auto data = getString(e.body, dataKey, e.where);
  if (!data) return data.error();
  if (!data->empty()) {
    auto decoded = base64Decode(*data);
    if (!decoded) return makeError(e.where + "." + dataKey + ": " + decoded.error().message);
    return decoded;
  }
  auto path = getString(e.body, fileKey, e.where);
  if (!path) return path.error();
  if (path->empty()) return std::string();
  auto text = readWholeFile(resolvePath(*e.file, *path));
  if (!text) return makeError(e.where + "." + fileKey + ": " + text.error().message);
  return text;
}

Status applyCluster(const Entry& c, ClusterConfig& config) {
  auto server = getString(c.body, "server", c.where);
  if (!server) return server.error();
  if (server->empty()) return makeError(c.where + ": server is missing");
  config.server = *server;
  auto ca = dataOrFile(c, "certificate-authority-data", "certificate-authority");
  if (!ca) return ca.error();
  config.caData = *ca;
  auto insecure = getBool(c.body, "insecure-skip-tls-verify", c.where);
  if (!insecure) return insecure.error();
  config.insecureSkipVerify = *insecure;
  if (config.insecureSkipVerify && !config.caData.empty()) {
    return makeError(c.where +
                     ": insecure-skip-tls-verify together with a certificate authority is not "
                     "allowed (as in kubectl)");
  }
  auto sni = getString(c.body, "tls-server-name", c.where);
  if (!sni) return sni.error();
  config.tlsServerName = *sni;
  if (present(c.body, "proxy-url")) {
    return makeError(c.where + ".proxy-url: proxies are not supported");
  }
  return okStatus();
}

Result<ExecConfig> execConfig(const Entry& u, const ClusterConfig& cluster) {
  const YAML::Node exec = u.body["exec"];
  const std::string where = u.where + ".exec";
  if (!exec.IsMap()) return makeError(where + ": must be a map");
  ExecConfig x;
  auto command = getString(exec, "command", where);
  if (!command) return command.error();
  if (command->empty()) return makeError(where + ".command is missing");
  // Like client-go: a command with a slash is a path relative to the kubeconfig, without one
  // it is looked up in PATH.
  x.command = command->find('/') == std::string::npos ? *command : resolvePath(*u.file, *command);
  auto apiVersion = getString(exec, "apiVersion", where);
  if (!apiVersion) return apiVersion.error();
  if (apiVersion->empty()) return makeError(where + ".apiVersion is missing");
  x.apiVersion = *apiVersion;
  if (present(exec, "args")) {
    if (!exec["args"].IsSequence()) return makeError(where + ".args: must be a list");
    for (const auto& a : exec["args"]) {
      if (!a.IsScalar()) return makeError(where + ".args: must be a list of strings");
      x.args.push_back(a.Scalar());
    }
  }
  if (present(exec, "env")) {
    if (!exec["env"].IsSequence()) return makeError(where + ".env: must be a list");
    for (const auto& kv : exec["env"]) {
      auto name = getString(kv, "name", where + ".env[]");
      auto value = getString(kv, "value", where + ".env[]");
      if (!name) return name.error();
      if (!value) return value.error();
      if (name->empty()) return makeError(where + ".env[]: name is missing");
      x.env.emplace_back(*name, *value);
    }
  }
  for (auto [key, out] : {std::pair{"installHint", &x.installHint},
                          std::pair{"interactiveMode", &x.interactiveMode}}) {
    auto v = getString(exec, key, where);
    if (!v) return v.error();
    *out = *v;
  }
  auto provide = getBool(exec, "provideClusterInfo", where);
  if (!provide) return provide.error();
  x.provideClusterInfo = *provide;
  x.server = cluster.server;
  x.caData = cluster.caData;
  x.tlsServerName = cluster.tlsServerName;
  x.insecureSkipVerify = cluster.insecureSkipVerify;
  return x;
}

Status applyUser(const Entry& u, const KubeconfigOptions& options, ClusterConfig& config) {
  for (const char* key :
       {"auth-provider", "username", "password", "as", "as-groups", "as-uid", "as-user-extra"}) {
    if (present(u.body, key)) {
      return makeError(u.where + "." + key +
                       ": not supported (use client certificates, a token or an exec plugin)");
    }
  }
  auto cert = dataOrFile(u, "client-certificate-data", "client-certificate");
  if (!cert) return cert.error();
  auto key = dataOrFile(u, "client-key-data", "client-key");
  if (!key) return key.error();
  if (cert->empty() != key->empty()) {
    return makeError(u.where +
                     ": a client certificate needs a client key, and a key a "
                     "certificate (client-certificate(-data), client-key(-data))");
  }
  config.clientCertData = *cert;
  config.clientKeyData = *key;

  auto token = getString(u.body, "token", u.where);
  if (!token) return token.error();
  auto tokenFile = getString(u.body, "tokenFile", u.where);
  if (!tokenFile) return tokenFile.error();
  const bool exec = present(u.body, "exec");
  if (exec && (!token->empty() || !tokenFile->empty())) {
    return makeError(u.where + ": exec and token/tokenFile are mutually exclusive");
  }
  if (!tokenFile->empty()) {
    // The file wins over a static token, and is re-read as it changes (client-go does both).
    auto source = std::make_shared<FileTokenSource>(resolvePath(*u.file, *tokenFile),
                                                    *options.clock, options.tokenFileMaxAge);
    auto first = source->token();
    if (!first) return makeError(u.where + ".tokenFile: " + first.error().message);
    config.tokenSource = [source] { return source->token(); };
  } else if (!token->empty()) {
    config.tokenSource = [t = *token]() -> Result<std::string> { return t; };
  }
  if (exec) {
    auto x = execConfig(u, config);
    if (!x) return x.error();
    auto plugin =
        std::make_shared<ExecCredentialPlugin>(std::move(*x), *options.clock, options.execTimeout);
    config.tokenSource = [plugin]() -> Result<std::string> {
      auto c = plugin->get();
      if (!c) return c.error();
      return c->token;
    };
    // An exec certificate, when the plugin gives one, replaces a static one.
    config.certificateSource =
        [plugin, staticCert = ClientCertificate{*cert, *key}]() -> Result<ClientCertificate> {
      auto c = plugin->get();
      if (!c) return c.error();
      if (c->clientCertificateData.empty()) return staticCert;
      return ClientCertificate{c->clientCertificateData, c->clientKeyData};
    };
    config.invalidateCredentials = [plugin] { plugin->invalidate(); };
  }
  return okStatus();
}

}  // namespace

std::vector<std::string> splitKubeconfigPaths(std::string_view value) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= value.size()) {
    size_t end = value.find(':', start);
    if (end == std::string_view::npos) end = value.size();
    if (end > start) out.emplace_back(value.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

Result<ClusterConfig> loadKubeconfig(const std::string& path, const std::string& context) {
  return loadKubeconfigFiles({path}, KubeconfigOptions{.context = context});
}

Result<ClusterConfig> loadKubeconfigFiles(const std::vector<std::string>& paths,
                                          const KubeconfigOptions& options) {
  if (paths.empty()) return makeError("kubeconfig: no file given");
  std::vector<File> files;
  files.reserve(paths.size());
  for (const std::string& p : paths) {
    auto text = readWholeFile(p);
    if (!text) return makeError("kubeconfig: " + text.error().message);
    File f{p, std::filesystem::path(p).parent_path().string(), {}};
    if (f.dir.empty()) f.dir = ".";
    try {
      f.root = YAML::Load(*text);
    } catch (const YAML::Exception& e) {
      return makeError(p + ": not valid YAML: " + e.what());
    }
    if (f.root && !f.root.IsNull() && !f.root.IsMap()) {
      return makeError(p + ": not a kubeconfig (the top level must be a map)");
    }
    files.push_back(std::move(f));
  }
  // yaml-cpp throws on a few malformed shapes not checked above; they become errors here.
  try {
    std::string contextName = options.context;
    if (contextName.empty()) {
      for (const File& f : files) {
        auto cc = getString(f.root, "current-context", f.path);
        if (!cc) return cc.error();
        if (!cc->empty()) {
          contextName = *cc;
          break;
        }
      }
    }
    if (contextName.empty()) {
      return makeError(fileList(files) + ": no context given and current-context is not set");
    }
    auto ctx = findEntry(files, "contexts", "context", contextName);
    if (!ctx) {
      if (ctx.error().message != "not found") return ctx.error();
      return makeError(fileList(files) + ": context \"" + contextName + "\" is not defined");
    }
    if (!ctx->body.IsMap())
      return makeError(fileList(files) + ": context \"" + contextName + "\" is empty");
    ClusterConfig config;
    config.origin = "kubeconfig " + fileList(files) + " context " + contextName;
    auto clusterName = getString(ctx->body, "cluster", ctx->where);
    if (!clusterName) return clusterName.error();
    if (clusterName->empty()) return makeError(ctx->where + ": cluster is missing");
    auto userName = getString(ctx->body, "user", ctx->where);
    if (!userName) return userName.error();
    auto ns = getString(ctx->body, "namespace", ctx->where);
    if (!ns) return ns.error();
    config.ns = *ns;

    auto cluster = findEntry(files, "clusters", "cluster", *clusterName);
    if (!cluster) {
      if (cluster.error().message != "not found") return cluster.error();
      return makeError(ctx->where + ": cluster \"" + *clusterName + "\" is not defined");
    }
    if (auto s = applyCluster(*cluster, config); !s) return s.error();
    if (!userName->empty()) {
      auto user = findEntry(files, "users", "user", *userName);
      if (!user) {
        if (user.error().message != "not found") return user.error();
        return makeError(ctx->where + ": user \"" + *userName + "\" is not defined");
      }
      if (user->body.IsMap()) {
        if (auto s = applyUser(*user, options, config); !s) return s.error();
      }
    }
    return config;
  } catch (const YAML::Exception& e) {
    return makeError(fileList(files) + ": malformed kubeconfig: " + e.what());
  }
}

}  // namespace lg::kube
