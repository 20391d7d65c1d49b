package dev.tokenherd.examples;

import dev.tokenherd.coordinator.RefreshPolicy;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The options of the demo against the user's own authorization server ({@code --issuer} or {@code
 * --token-uri}). Only Tokenherd runs there, and no secret comes from the command line: see {@link
 * #parse}.
 *
 * @param issuer the issuer whose metadata names the token endpoint, or {@code null}
 * @param tokenUri the token endpoint itself, or {@code null}; exactly one of the two is set
 * @param clientId the client identifier
 * @param clientSecretFile the file holding the client secret, or {@code null} for the environment
 * @param publicClient whether the client has no secret (it authenticates with its id only)
 * @param refreshTokenFile the file holding the refresh token, written back after a rotation
 * @param scopes the scopes to request on each refresh; empty for the originally granted ones
 * @param pods how many pods
 * @param threads caller threads per pod
 * @param duration how long the fleet runs
 * @param redisUri an existing Redis, or {@code null} to start one
 * @param json whether to end with one JSON line
 * @param refreshAhead the fraction of each token's lifetime after which the fleet refreshes it
 * @param allowInsecureHttp whether a plain-http token endpoint off the loopback host is allowed
 */
record OwnServerOptions(
    @Nullable URI issuer,
    @Nullable URI tokenUri,
    String clientId,
    @Nullable String clientSecretFile,
    boolean publicClient,
    String refreshTokenFile,
    Set<String> scopes,
    int pods,
    int threads,
    Duration duration,
    @Nullable String redisUri,
    boolean json,
    double refreshAhead,
    boolean allowInsecureHttp) {

  private static final Set<String> VALUED =
      Set.of(
          "issuer",
          "token-uri",
          "client-id",
          "client-secret-file",
          "refresh-token-file",
          "scope",
          "pods",
          "threads",
          "duration",
          "redis",
          "refresh-ahead",
          // accepted only to be refused with the reason, not as "unknown option"
          "strategy",
          "client-secret",
          "ttl",
          "latency");
  private static final Set<String> FLAGS =
      Set.of("json", "allow-insecure-http", "public-client", "compare", "processes");

  private static final Pattern IPV4_LOOPBACK = Pattern.compile("127(\\.[0-9]{1,3}){3}");

  /** Why the other strategies never run against a real server; part of two usage errors. */
  static final String PEERS_REFUSED =
      " runs the naive, per-process and lock-and-poll strategies too, and they present refresh"
          + " tokens the server has already rotated: your server would revoke the token family and"
          + " you would have to log in again. Against --issuer or --token-uri only Tokenherd runs";

  /** Copies the scopes; everything else is checked by {@link #parse}. */
  OwnServerOptions {
    scopes = Set.copyOf(scopes);
  }

  /**
   * Returns whether {@code arguments} ask for a run against the user's own server.
   *
   * @param arguments the command line
   * @return whether {@code --issuer} or {@code --token-uri} is among them
   */
  static boolean isRequested(List<String> arguments) {
    for (String argument : arguments) {
      for (String option : List.of("--issuer", "--token-uri")) {
        if (argument.equals(option) || argument.startsWith(option + "=")) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Parses and checks the command line.
   *
   * @param arguments the command line
   * @return the options
   * @throws UsageException for anything that cannot run, with the reason
   */
  static OwnServerOptions parse(List<String> arguments) {
    Args args = Args.parse(arguments, VALUED, FLAGS);
    if (args.flag("compare")) {
      throw new UsageException("--compare" + PEERS_REFUSED + ": drop --compare");
    }
    String strategy = args.value("strategy");
    if (strategy != null && Strategy.parse(strategy) != Strategy.TOKENHERD) {
      throw new UsageException("--strategy " + strategy + PEERS_REFUSED + ": drop --strategy");
    }
    if (args.value("client-secret") != null) {
      throw new UsageException(
          "--client-secret would show the secret in the process list and your shell history:"
              + " use --client-secret-file F, or "
              + ClientSecret.FILE_VARIABLE
              + " or "
              + ClientSecret.VARIABLE
              + " in the environment");
    }
    for (String fake : List.of("ttl", "latency")) {
      if (args.value(fake) != null) {
        throw new UsageException(
            "--"
                + fake
                + " sets the demo's own fake server; your server decides how long its tokens"
                + " live (--refresh-ahead F makes the fleet refresh sooner)");
      }
    }
    if (args.flag("processes")) {
      throw new UsageException(
          "--processes is not available with --issuer or --token-uri: the pods run in this JVM,"
              + " which keeps the rotated refresh token and writes it back to your file");
    }
    String issuer = args.value("issuer");
    String tokenUri = args.value("token-uri");
    if (issuer != null && tokenUri != null) {
      throw new UsageException("give --issuer or --token-uri, not both");
    }
    boolean insecure = args.flag("allow-insecure-http");
    URI issuerUri = issuer == null ? null : httpUri("issuer", issuer);
    URI tokenEndpoint = tokenUri == null ? null : httpUri("token-uri", tokenUri);
    if (issuerUri != null && !secure(issuerUri)) {
      throw new UsageException(
          "--issuer must use https (http only on a loopback host): discovery trusts the document"
              + " it fetches to name the token endpoint. For a plain-http test server give"
              + " --token-uri with --allow-insecure-http");
    }
    if (tokenEndpoint != null && !secure(tokenEndpoint) && !insecure) {
      throw new UsageException(
          "--token-uri must use https (http only on a loopback host): the client secret and the"
              + " refresh token travel in each request. --allow-insecure-http if you must");
    }
    boolean publicClient = args.flag("public-client");
    String secretFile = args.value("client-secret-file");
    if (publicClient && secretFile != null) {
      throw new UsageException("--public-client has no secret: drop --client-secret-file");
    }
    Duration duration = args.duration("duration", Duration.ofSeconds(20));
    if (duration.isZero()) {
      throw new UsageException("--duration must be positive");
    }
    String scope = args.value("scope");
    return new OwnServerOptions(
        issuerUri,
        tokenEndpoint,
        args.required("client-id"),
        secretFile,
        publicClient,
        args.required("refresh-token-file"),
        scope == null ? Set.of() : scopes(scope),
        args.positiveInt("pods", 4),
        args.positiveInt("threads", 16),
        duration,
        args.value("redis"),
        args.flag("json"),
        refreshAhead(args.value("refresh-ahead")),
        insecure);
  }

  /**
   * Returns the fleet's refresh policy: the library's defaults (made for real servers, which count
   * whole seconds), refreshing at the {@link #refreshAhead} fraction of each lifetime. The jitter
   * that spreads a fleet's refresh points must stay below that fraction, so a small fraction gets
   * half of itself.
   */
  RefreshPolicy policy() {
    return RefreshPolicy.builder()
        .refreshAheadFraction(refreshAhead)
        .refreshJitter(Math.min(RefreshPolicy.DEFAULT_REFRESH_JITTER, refreshAhead / 2))
        .build();
  }

  /** Returns the URI the run talks to first: the issuer, or the token endpoint. */
  URI server() {
    URI first = issuer != null ? issuer : tokenUri;
    if (first == null) {
      throw new IllegalStateException("neither an issuer nor a token endpoint");
    }
    return first;
  }

  /** Returns whether {@code uri} uses https or stays on this machine. */
  static boolean secure(URI uri) {
    if ("https".equalsIgnoreCase(uri.getScheme())) {
      return true;
    }
    // Only literals and "localhost": a DNS answer is no evidence that traffic stays here.
    String host = String.valueOf(uri.getHost()).toLowerCase(Locale.ROOT);
    return host.equals("localhost")
        || host.equals("[::1]")
        || IPV4_LOOPBACK.matcher(host).matches();
  }

  private static URI httpUri(String option, String value) {
    URI uri;
    try {
      uri = new URI(value);
    } catch (URISyntaxException e) {
      throw new UsageException("--" + option + " is not a URI: " + value);
    }
    String scheme = uri.getScheme();
    if (scheme == null
        || !(scheme.equalsIgnoreCase("https") || scheme.equalsIgnoreCase("http"))
        || uri.getHost() == null) {
      throw new UsageException(
          "--"
              + option
              + " must be an absolute https URI, such as https://idp.example.com: "
              + value);
    }
    if (uri.getRawUserInfo() != null || uri.getRawQuery() != null) {
      // not echoed: user info or a query is where a credential would sit
      throw new UsageException("--" + option + " must have no user info and no query");
    }
    return uri;
  }

  private static Set<String> scopes(String value) {
    Set<String> scopes = new LinkedHashSet<>(Arrays.asList(value.trim().split("\\s+")));
    scopes.remove("");
    if (scopes.isEmpty()) {
      throw new UsageException("--scope must name at least one scope, such as --scope 'read'");
    }
    return scopes;
  }

  private static double refreshAhead(@Nullable String value) {
    if (value == null) {
      return RefreshPolicy.DEFAULT_REFRESH_AHEAD_FRACTION;
    }
    double fraction;
    try {
      fraction = Double.parseDouble(value);
    } catch (NumberFormatException e) {
      throw new UsageException("--refresh-ahead must be a fraction such as 0.05: " + value);
    }
    if (!(fraction > 0.0 && fraction < 1.0)) {
      throw new UsageException(
          "--refresh-ahead must be between 0 and 1, both excluded (the fraction of each token's"
              + " lifetime after which the fleet refreshes it): "
              + value);
    }
    return fraction;
  }
}
