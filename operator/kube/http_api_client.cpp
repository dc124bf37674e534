#include "operator/kube/http_api_client.h"

#include <condition_variable>
#include <mutex>
#include <random>

#include "operator/kube/api_status.h"
#include "operator/kube/http_watch_stream.h"
#include "operator/kube/object_view.h"
#include "operator/util/logger.h"

#ifndef LG_KUBE_VERSION
#define LG_KUBE_VERSION "0.0.0"
#endif

namespace lg::kube {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;
using SteadyTime = std::chrono::steady_clock::time_point;

constexpr size_t kHeaderLimit = 64 * 1024;
constexpr size_t kErrorBodyLimit = 1 << 20;

bool isLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

double defaultRandom() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

const char* contentType(PatchType type) {
  switch (type) {
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kJson:
      return "application/json-patch+json";
    case PatchType::kStrategicMerge:
      return "application/strategic-merge-patch+json";
    case PatchType::kApply:
      return "application/apply-patch+yaml";
  }
  return "application/json";
}

http::verb beastVerb(Verb verb) {
  switch (verb) {
    case Verb::kCreate:
      return http::verb::post;
    case Verb::kReplace:
      return http::verb::put;
    case Verb::kPatch:
      return http::verb::patch;
    case Verb::kDelete:
      return http::verb::delete_;
    default:
      return http::verb::get;
  }
}

Params writeParams(const WriteOptions& opts) {
  Params p;
  if (!opts.fieldManager.empty()) p.emplace_back("fieldManager", opts.fieldManager);
  if (opts.dryRun) p.emplace_back("dryRun", "All");
  return p;
}

std::string dumpJson(const nlohmann::json& j) {
  // Replace rather than throw on invalid UTF-8 that a caller copied from elsewhere.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

struct HttpApiClient::Call {
  Verb verb = Verb::kGet;
  std::string path;   // without the server's base path
  std::string query;  // "" or "?..."
  std::string body;
  std::string contentType;
  bool eviction = false;
  bool stream = false;  // a watch: stop after the header of a 200
  std::optional<std::chrono::milliseconds> timeout;

  std::string resource;  // "pods", "pods/eviction"; "" for a raw path

  Call(Verb v, std::string p) : verb(v), path(std::move(p)) {}
  Call(Verb v, const ResourceRef& ref)
      : verb(v),
        path(ref.path()),
        resource(ref.subresource.empty() ? ref.resource : ref.resource + "/" + ref.subresource) {}
  std::string what() const { return std::string(httpMethod(verb)) + " " + path; }
};

struct HttpApiClient::Response {
  int status = 0;
  std::string body;
  std::unique_ptr<HttpConnection> streamConnection;  // watch: the 200's connection
  std::unique_ptr<http::response_parser<http::buffer_body>> streamParser;
};

struct HttpApiClient::Attempt {
  std::optional<Response> response;  // a response arrived (any status)
  std::optional<std::chrono::seconds> retryAfter;
  std::string failure;  // no response: why
  bool sent = false;    // the request may have reached the server
  bool fatal = false;   // not worth retrying (credentials unavailable, request too large)
  int fatalCode = 0;
  bool staleReuse = false;  // a pooled connection failed before any response byte arrived
};

HttpApiClient::HttpApiClient(ClusterConfig config, ServerUrl url, HttpApiClientOptions options)
    : config_(std::move(config)),
      url_(std::move(url)),
      options_(std::move(options)),
      retry_(options_.retry),
      clock_(*options_.clock),
      pool_(clock_, options_.maxIdleConnections, options_.idleConnectionTimeout) {}

HttpApiClient::~HttpApiClient() = default;

Result<std::unique_ptr<HttpApiClient>> HttpApiClient::create(ClusterConfig config,
                                                             HttpApiClientOptions options) {
  auto url = parseServerUrl(config.server);
  if (!url) return url.error();
  // Bearer tokens must never cross a network in clear text: http:// is for local tests only.
  if (!url->tls && !isLoopback(url->host)) {
    return makeError("server URL \"" + config.server +
                     "\": plain http is only allowed to a loopback address; use https");
  }
  if (!options.clock) options.clock = &SystemClock::instance();
  if (options.userAgent.empty()) options.userAgent = std::string("leakguard/") + LG_KUBE_VERSION;
  if (!options.sleep) {
    options.sleep = [clock = options.clock](std::chrono::milliseconds d) {
      std::mutex mu;
      std::condition_variable cv;
      std::unique_lock lock(mu);
      clock->waitFor(lock, cv, d, [] { return false; });
    };
  }
  if (!options.random) options.random = defaultRandom;
  std::unique_ptr<HttpApiClient> client(
      new HttpApiClient(std::move(config), std::move(*url), std::move(options)));
  if (client->url_.tls) {
    // Build the TLS context now so that a bad CA or key fails here, not on the first call.
    uint64_t generation = 0;
    auto tls = client->currentTls(&generation);
    if (!tls)
      return makeError(client->config_.origin.empty()
                           ? tls.error().message
                           : client->config_.origin + ": " + tls.error().message);
  }
  return client;
}

HttpApiClient::Stats HttpApiClient::stats() const {
  return Stats{requests_.load(), retries_.load(), connectionsOpened_.load(), pool_.idle()};
}

SteadyTime HttpApiClient::deadlineFor(std::optional<std::chrono::milliseconds> timeout) const {
  return clock_.deadlineAfter(timeout.value_or(options_.timeout));
}

HttpConnection::TimePoint HttpApiClient::ioDeadline(SteadyTime deadline) const {
  // The call's deadline is on the injected clock; sockets expire in real time.
  const auto left = std::min<std::chrono::steady_clock::duration>(deadline - clock_.steadyNow(),
                                                                  std::chrono::hours(24));
  return std::chrono::steady_clock::now() + left;
}

Result<std::shared_ptr<TlsContext>> HttpApiClient::currentTls(uint64_t* generation) {
  if (!url_.tls) {
    *generation = 0;
    return std::shared_ptr<TlsContext>();
  }
  ClientCertificate cert{config_.clientCertData, config_.clientKeyData};
  if (config_.certificateSource) {
    // Outside the lock: an exec plugin may take a while.
    auto fresh = config_.certificateSource();
    if (!fresh) return makeError("client certificate: " + fresh.error().message);
    cert = std::move(*fresh);
  }
  std::lock_guard lock(tlsMu_);
  if (!tls_ || cert.certPem != tlsCert_.certPem || cert.keyPem != tlsCert_.keyPem) {
    auto tls = TlsContext::create(config_, url_, cert);
    if (!tls) return tls.error();
    if (tls_) LG_LOG(info, "client certificate changed; opening new connections", nullptr);
    tls_ = std::move(*tls);
    tlsCert_ = std::move(cert);
    ++tlsGeneration_;
  }
  *generation = tlsGeneration_;
  return tls_;
}

HttpApiClient::Attempt HttpApiClient::attempt(const Call& call, SteadyTime deadline,
                                              bool forceNewConnection) {
  Attempt a;
  std::string token;
  if (config_.tokenSource) {
    auto t = config_.tokenSource();
    if (!t) {
      a.fatal = true;
      a.failure = "credentials: " + t.error().message;
      return a;
    }
    token = std::move(*t);
  }
  uint64_t generation = 0;
  auto tls = currentTls(&generation);
  if (!tls) {
    a.fatal = true;
    a.failure = tls.error().message;
    return a;
  }
  const auto io = ioDeadline(deadline);
  std::unique_ptr<HttpConnection> conn;
  bool reused = false;
  if (!forceNewConnection) conn = pool_.take(generation);
  if (conn) {
    reused = true;
  } else {
    auto opened = HttpConnection::open(url_, *tls, io);
    if (!opened) {
      a.failure = opened.error().message;
      // An untrusted or mismatched certificate stays so: no point retrying.
      a.fatal = opened.error().code == kCertificateRejected;
      return a;
    }
    conn = std::move(*opened);
    conn->generation = generation;
    ++connectionsOpened_;
  }

  http::request<http::string_body> req{beastVerb(call.verb), url_.basePath + call.path + call.query,
                                       11};
  req.set(http::field::host, url_.hostHeader);
  req.set(http::field::user_agent, options_.userAgent);
  req.set(http::field::accept, "application/json");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (!call.contentType.empty()) req.set(http::field::content_type, call.contentType);
  req.body() = call.body;
  req.keep_alive(true);
  req.prepare_payload();

  ++requests_;
  if (auto s = conn->write(req, io); !s) {
    // An incomplete request cannot have been acted on.
    a.failure = s.error().message;
    a.staleReuse = reused;
    return a;
  }
  ++conn->requests;

  if (call.stream) {
    auto parser = std::make_unique<http::response_parser<http::buffer_body>>();
    parser->header_limit(kHeaderLimit);
    parser->body_limit(boost::none);  // a watch body has no end; events are capped instead
    if (auto s = conn->readHeader(*parser, io); !s) {
      a.sent = true;
      a.failure = s.error().message;
      a.staleReuse = reused && !parser->got_some();
      return a;
    }
    Response r;
    r.status = static_cast<int>(parser->get().result_int());
    if (auto ra = parseRetryAfter(parser->get()[http::field::retry_after])) {
      a.retryAfter = std::chrono::seconds(*ra);
    }
    if (r.status == 200) {
      r.streamConnection = std::move(conn);
      r.streamParser = std::move(parser);
    } else {
      // The refusal's Status, bounded; the connection is dropped after it.
      char buf[16 * 1024];
      while (!parser->is_done() && r.body.size() < kErrorBodyLimit) {
        auto got = conn->readSome(*parser, buf, sizeof buf, io);
        if (!got) break;
        r.body.append(buf, *got);
      }
    }
    a.sent = true;
    a.response = std::move(r);
    return a;
  }

  http::response_parser<http::string_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(options_.maxResponseBytes);
  if (auto s = conn->read(parser, io); !s) {
    a.sent = true;
    a.failure = s.error().message;
    a.staleReuse = reused && !parser.got_some();
    return a;
  }
  auto& res = parser.get();
  a.sent = true;
  if (auto ra = parseRetryAfter(res[http::field::retry_after])) {
    a.retryAfter = std::chrono::seconds(*ra);
  }
  const bool keepAlive = res.keep_alive() && parser.is_done();
  a.response =
      Response{static_cast<int>(res.result_int()), std::move(res.body()), nullptr, nullptr};
  if (keepAlive) pool_.put(std::move(conn));
  return a;
}

Result<HttpApiClient::Response> HttpApiClient::execute(const Call& call) {
  if (call.body.size() > options_.maxRequestBytes) {
    return makeError(call.what() + ": request body of " + std::to_string(call.body.size()) +
                         " bytes is over the client's limit of " +
                         std::to_string(options_.maxRequestBytes),
                     413);
  }
  const SteadyTime deadline = deadlineFor(call.timeout);
  bool freshConnectionRetried = false;
  bool reauthenticated = false;
  bool forceNew = false;
  std::string lastFailure = "no attempt made";
  for (int number = 1;;) {
    if (clock_.steadyNow() >= deadline) {
      return makeError(call.what() + ": deadline exceeded (" + lastFailure + ")", 0);
    }
    const SteadyTime started = clock_.steadyNow();
    Attempt a = attempt(call, deadline, forceNew);
    forceNew = false;
    if (options_.observe) {
      options_.observe(
          {.verb = verbName(call.verb),
           .resource = call.resource,
           .code = a.response ? a.response->status : 0,
           .seconds = std::chrono::duration<double>(clock_.steadyNow() - started).count()});
    }
    if (a.fatal) {
      LG_LOG(warn, "kube request failed", {{"request", call.what()}, {"error", a.failure}});
      return makeError(call.what() + ": " + a.failure, a.fatalCode);
    }
    if (a.response && a.response->status >= 200 && a.response->status < 300) {
      return std::move(*a.response);
    }
    // A kept-alive connection the server had closed: try once more at once on a new one.
    if (!a.response && a.staleReuse && !freshConnectionRetried &&
        (!a.sent || isIdempotent(call.verb))) {
      freshConnectionRetried = true;
      forceNew = true;
      LG_LOG(debug, "kube request: pooled connection was stale, reconnecting",
             {{"request", call.what()}, {"error", a.failure}});
      continue;
    }
    if (a.response && a.response->status == 401 && config_.invalidateCredentials &&
        !reauthenticated) {
      reauthenticated = true;
      config_.invalidateCredentials();
      LG_LOG(info, "kube request: 401, refreshing exec plugin credentials",
             {{"request", call.what()}});
      continue;
    }
    const int code = a.response ? a.response->status : 0;
    lastFailure = a.response ? "HTTP " + std::to_string(code) : a.failure;
    const FailedAttempt failed{.number = number,
                               .httpCode = code,
                               .sent = a.sent,
                               .retryAfter = a.retryAfter,
                               .eviction = call.eviction};
    const auto delay =
        retry_.retryDelay(call.verb, failed, clock_.steadyNow(), deadline, options_.random());
    if (!delay) {
      const std::string attempts =
          number > 1 ? " (after " + std::to_string(number) + " attempts)" : "";
      if (a.response) {
        Error e = statusError(code, a.response->body);
        e.message = call.what() + ": " + e.message + attempts;
        if (code >= 500 || code == 429) {
          LG_LOG(warn, "kube request failed",
                 {{"request", call.what()}, {"code", code}, {"attempts", number}});
        } else {
          LG_LOG(debug, "kube request refused", {{"request", call.what()}, {"code", code}});
        }
        return e;
      }
      LG_LOG(warn, "kube request failed",
             {{"request", call.what()}, {"error", a.failure}, {"attempts", number}});
      return makeError(call.what() + ": " + a.failure + attempts, 0);
    }
    LG_LOG(debug, "kube request retry",
           {{"request", call.what()},
            {"code", code},
            {"error", a.response ? std::string() : a.failure},
            {"attempt", number},
            {"delayMs", delay->count()}});
    ++retries_;
    options_.sleep(*delay);
    ++number;
  }
}

Result<nlohmann::json> HttpApiClient::executeJson(const Call& call) {
  auto r = execute(call);
  if (!r) return r.error();
  if (r->body.empty()) return nlohmann::json();
  nlohmann::json doc = nlohmann::json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return makeError(
        call.what() + ": response is not valid JSON (" + std::to_string(r->body.size()) + " bytes)",
        0);
  }
  return doc;
}

Result<nlohmann::json> HttpApiClient::get(const ResourceRef& ref) {
  return executeJson(Call(Verb::kGet, ref));
}

Result<nlohmann::json> HttpApiClient::getPath(std::string_view path,
                                              std::optional<std::chrono::milliseconds> timeout) {
  Call call(Verb::kGet, std::string(path));
  call.timeout = timeout;
  return executeJson(call);
}

HttpApiClient::Call HttpApiClient::listCall(const ResourceRef& ref, const ListOptions& opts) {
  Params p;
  if (!opts.labelSelector.empty()) p.emplace_back("labelSelector", opts.labelSelector);
  if (!opts.fieldSelector.empty()) p.emplace_back("fieldSelector", opts.fieldSelector);
  if (opts.limit > 0) p.emplace_back("limit", std::to_string(opts.limit));
  if (!opts.continueToken.empty()) p.emplace_back("continue", opts.continueToken);
  if (!opts.resourceVersion.empty()) p.emplace_back("resourceVersion", opts.resourceVersion);
  Call call(Verb::kList, ref);
  call.query = buildQuery(p);
  call.timeout = opts.timeout;
  return call;
}

Result<ListPage> HttpApiClient::list(const ResourceRef& ref, const ListOptions& opts) {
  auto body = listText(ref, opts);
  if (!body) return body.error();
  thread_local ViewParser parser;
  ListPage page;
  auto meta =
      parser.parseList(*body, [&](const ObjectView& item) { page.items.push_back(item.toJson()); });
  if (!meta) return makeError(listCall(ref, opts).what() + ": " + meta.error().message, 0);
  page.resourceVersion = std::move(meta->resourceVersion);
  page.continueToken = std::move(meta->continueToken);
  return page;
}

Result<std::string> HttpApiClient::listText(const ResourceRef& ref, const ListOptions& opts) {
  auto r = execute(listCall(ref, opts));
  if (!r) return r.error();
  return std::move(r->body);
}

Result<std::unique_ptr<WatchStream>> HttpApiClient::watch(const ResourceRef& ref,
                                                          const WatchOptions& opts) {
  Params p{{"watch", "1"}};
  if (!opts.labelSelector.empty()) p.emplace_back("labelSelector", opts.labelSelector);
  if (!opts.fieldSelector.empty()) p.emplace_back("fieldSelector", opts.fieldSelector);
  if (!opts.resourceVersion.empty()) p.emplace_back("resourceVersion", opts.resourceVersion);
  if (opts.timeoutSeconds > 0) {
    p.emplace_back("timeoutSeconds", std::to_string(opts.timeoutSeconds));
  }
  if (opts.allowBookmarks) p.emplace_back("allowWatchBookmarks", "true");
  if (opts.sendInitialEvents) {
    p.emplace_back("sendInitialEvents", "true");
    p.emplace_back("resourceVersionMatch", "NotOlderThan");
  }
  Call call(Verb::kWatch, ref);
  call.query = buildQuery(p);
  call.stream = true;
  auto r = execute(call);
  if (!r) return r.error();
  if (!r->streamConnection) {
    return makeError(
        call.what() + ": watch answered " + std::to_string(r->status) + " instead of 200",
        r->status);
  }
  return std::unique_ptr<WatchStream>(std::make_unique<HttpWatchStream>(
      std::move(r->streamConnection), std::move(r->streamParser), opts.idleTimeout,
      options_.maxWatchEventBytes, "watch " + ref.path()));
}

Result<nlohmann::json> HttpApiClient::create(const ResourceRef& ref, const nlohmann::json& body,
                                             const WriteOptions& opts) {
  Call call(Verb::kCreate, ref);
  call.query = buildQuery(writeParams(opts));
  call.body = dumpJson(body);
  call.contentType = "application/json";
  call.eviction = ref.subresource == "eviction";
  call.timeout = opts.timeout;
  return executeJson(call);
}

Result<nlohmann::json> HttpApiClient::replace(const ResourceRef& ref, const nlohmann::json& body,
                                              const WriteOptions& opts) {
  Call call(Verb::kReplace, ref);
  call.query = buildQuery(writeParams(opts));
  call.body = dumpJson(body);
  call.contentType = "application/json";
  call.timeout = opts.timeout;
  return executeJson(call);
}

Result<nlohmann::json> HttpApiClient::patch(const ResourceRef& ref, PatchType type,
                                            const nlohmann::json& body, const WriteOptions& opts) {
  Params p = writeParams(opts);
  // force is meaningful (and allowed by the server) only for apply.
  if (type == PatchType::kApply && opts.force) p.emplace_back("force", "true");
  Call call(Verb::kPatch, ref);
  call.query = buildQuery(p);
  call.body = dumpJson(body);
  call.contentType = contentType(type);
  call.timeout = opts.timeout;
  return executeJson(call);
}

Status HttpApiClient::remove(const ResourceRef& ref, const DeleteOptions& opts) {
  nlohmann::json body = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (opts.gracePeriodSeconds) body["gracePeriodSeconds"] = *opts.gracePeriodSeconds;
  if (!opts.propagationPolicy.empty()) body["propagationPolicy"] = opts.propagationPolicy;
  if (!opts.preconditionResourceVersion.empty()) {
    body["preconditions"] = {{"resourceVersion", opts.preconditionResourceVersion}};
  }
  Call call(Verb::kDelete, ref);
  if (body.size() > 2) {  // more than kind and apiVersion: send the options
    call.body = dumpJson(body);
    call.contentType = "application/json";
  }
  call.timeout = opts.timeout;
  auto r = execute(call);
  if (!r) return r.error();
  return okStatus();
}

}  // namespace lg::kube
