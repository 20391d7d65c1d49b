package dev.tokenherd.spring.authserver;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The authorization code grant as a browser would run it, without a browser: a fresh cookie jar
 * (one user-agent session), the authorization request, the redirect to the login form, the form
 * post with the form's CSRF token, the redirect back to the authorization endpoint, and the
 * redirect to the client's redirect URI with the code, which is then exchanged at the token
 * endpoint. PKCE (S256) and {@code state} are used as a client should. Nothing listens at the
 * redirect URI: the flow reads the code from the {@code Location} header and stops there.
 */
final class AuthorizationCodeFlow {
  private static final Pattern CSRF_INPUT =
      Pattern.compile("<input[^>]*name=\"_csrf\"[^>]*>", Pattern.CASE_INSENSITIVE);
  private static final Pattern VALUE = Pattern.compile("value=\"([^\"]*)\"");
  private static final int MAX_REDIRECTS = 10;

  private final SecureRandom random = new SecureRandom();
  private final URI issuer;
  private final OAuthClient client;
  private final URI redirectUri;
  private final String scope;
  private final Duration timeout;
  private final HttpClient browser;

  AuthorizationCodeFlow(
      URI issuer, OAuthClient client, URI redirectUri, String scope, Duration timeout) {
    this.issuer = requireNonNull(issuer, "issuer");
    this.client = requireNonNull(client, "client");
    this.redirectUri = requireNonNull(redirectUri, "redirectUri");
    this.scope = requireNonNull(scope, "scope");
    this.timeout = requireNonNull(timeout, "timeout");
    this.browser =
        HttpClient.newBuilder()
            // ACCEPT_ALL: the default policy's domain matching is unreliable for IP-literal hosts.
            .cookieHandler(new CookieManager(null, CookiePolicy.ACCEPT_ALL))
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(timeout)
            .build();
  }

  /** Logs {@code username} in, authorizes, and exchanges the code; returns the token response. */
  GrantedTokens run(String username, String password, TokenEndpointClient tokenEndpoint) {
    String state = randomToken();
    String verifier = randomToken();
    Map<String, String> query = new LinkedHashMap<>();
    query.put("response_type", "code");
    query.put("client_id", client.clientId());
    query.put("redirect_uri", redirectUri.toString());
    query.put("scope", scope);
    query.put("state", state);
    query.put("code_challenge", s256(verifier));
    query.put("code_challenge_method", "S256");
    URI authorize = issuer.resolve("/oauth2/authorize?" + TokenEndpointClient.formEncode(query));

    // 1. Unauthenticated: the server saves the request in the session and sends us to the login.
    URI loginPage = redirectTarget(get(authorize), "the authorization request");
    // 2. The login form, with the CSRF token bound to this session.
    HttpResponse<String> form = get(loginPage);
    if (form.statusCode() != 200) {
      throw new IllegalStateException("GET " + loginPage + " answered HTTP " + form.statusCode());
    }
    String csrf = csrfToken(form.body());
    // 3. The form post; on success the server redirects to the saved authorization request.
    Map<String, String> credentials = new LinkedHashMap<>();
    credentials.put("username", username);
    credentials.put("password", password);
    credentials.put("_csrf", csrf);
    HttpResponse<String> login =
        send(
            HttpRequest.newBuilder(loginPage)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "text/html")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        TokenEndpointClient.formEncode(credentials)))
                .build());
    URI next = redirectTarget(login, "the login form post");
    if (next.getPath().equals(loginPage.getPath())) {
      throw new IllegalStateException("form login of " + username + " failed: back to " + next);
    }
    // 4. Authenticated, no consent required: the server redirects to the client with a code.
    for (int hop = 0; !isRedirectUri(next); hop++) {
      if (hop == MAX_REDIRECTS) {
        throw new IllegalStateException(
            "no redirect to " + redirectUri + " after " + hop + " hops");
      }
      next = redirectTarget(get(next), "GET " + next.getPath());
    }
    Map<String, String> callback = parseQuery(next.getRawQuery());
    if (callback.containsKey("error")) {
      throw new IllegalStateException(
          "the authorization endpoint answered " + callback.get("error"));
    }
    if (!state.equals(callback.get("state"))) {
      throw new IllegalStateException("state mismatch in the authorization response");
    }
    String code = callback.get("code");
    if (code == null) {
      throw new IllegalStateException("the authorization response carries no code");
    }
    // 5. The code exchange, as the client (client_secret_basic), with the PKCE verifier.
    Map<String, String> exchange = new LinkedHashMap<>();
    exchange.put("grant_type", "authorization_code");
    exchange.put("code", code);
    exchange.put("redirect_uri", redirectUri.toString());
    exchange.put("code_verifier", verifier);
    return tokenEndpoint.post(client, exchange).tokensOrThrow();
  }

  private boolean isRedirectUri(URI uri) {
    return uri.getScheme().equals(redirectUri.getScheme())
        && uri.getHost().equals(redirectUri.getHost())
        && uri.getPort() == redirectUri.getPort()
        && uri.getPath().equals(redirectUri.getPath());
  }

  private HttpResponse<String> get(URI uri) {
    return send(HttpRequest.newBuilder(uri).header("Accept", "text/html").GET().build());
  }

  private HttpResponse<String> send(HttpRequest request) {
    HttpRequest timed =
        HttpRequest.newBuilder(request, (name, value) -> true).timeout(timeout).build();
    try {
      return browser.send(timed, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(request.method() + " " + request.uri() + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted during " + request.uri(), e);
    }
  }

  private static URI redirectTarget(HttpResponse<String> response, String step) {
    int status = response.statusCode();
    String location = response.headers().firstValue("Location").orElse(null);
    if (status < 300 || status > 399 || location == null) {
      throw new IllegalStateException(step + " answered HTTP " + status + ", not a redirect");
    }
    return response.uri().resolve(location);
  }

  private static String csrfToken(String loginPage) {
    Matcher input = CSRF_INPUT.matcher(loginPage);
    if (input.find()) {
      Matcher value = VALUE.matcher(input.group());
      if (value.find()) {
        return value.group(1);
      }
    }
    throw new IllegalStateException("the login page has no _csrf input");
  }

  private static Map<String, String> parseQuery(@Nullable String rawQuery) {
    Map<String, String> parameters = new LinkedHashMap<>();
    if (rawQuery == null) {
      return parameters;
    }
    for (String pair : rawQuery.split("&", -1)) {
      int equals = pair.indexOf('=');
      String name = equals < 0 ? pair : pair.substring(0, equals);
      String value = equals < 0 ? "" : pair.substring(equals + 1);
      parameters.put(
          URLDecoder.decode(name, StandardCharsets.UTF_8),
          URLDecoder.decode(value, StandardCharsets.UTF_8));
    }
    return parameters;
  }

  private String randomToken() {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static String s256(String verifier) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every Java platform provides SHA-256", e);
    }
  }
}
