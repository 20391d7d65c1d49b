package dev.tokenherd.spring.authserver;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.jspecify.annotations.Nullable;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.ContentCachingResponseWrapper;

/**
 * Records every {@code POST} to the token endpoint in a {@link TokenEndpointLedger}: it runs in
 * front of Spring Security, so it sees client-authentication failures too, and it buffers the
 * response to read the status, the OAuth error code and the issued refresh token before passing the
 * body on unchanged.
 */
final class TokenEndpointRecordingFilter extends OncePerRequestFilter {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String REFRESH_TOKEN = "refresh_token";

  private final TokenEndpointLedger ledger;

  TokenEndpointRecordingFilter(TokenEndpointLedger ledger) {
    this.ledger = requireNonNull(ledger, "ledger");
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    if (!"POST".equals(request.getMethod())) {
      chain.doFilter(request, response);
      return;
    }
    // Reading parameters parses the form body; the server reads the same parsed parameters.
    String grantType = nullToEmpty(request.getParameter("grant_type"));
    String presented = REFRESH_TOKEN.equals(grantType) ? request.getParameter(REFRESH_TOKEN) : null;
    TokenEndpointLedger.Entry entry = ledger.begin(grantType, clientId(request), presented);
    ContentCachingResponseWrapper buffered = new ContentCachingResponseWrapper(response);
    TokenEndpointLedger.bind(entry);
    try {
      chain.doFilter(request, buffered);
    } catch (IOException | ServletException | RuntimeException e) {
      ledger.complete(entry, HttpServletResponse.SC_INTERNAL_SERVER_ERROR, "server_error", null);
      throw e;
    } finally {
      TokenEndpointLedger.unbind();
    }
    JsonNode body = parse(buffered.getContentAsByteArray());
    int status = buffered.getStatus();
    ledger.complete(
        entry,
        status,
        text(body, "error"),
        status == HttpServletResponse.SC_OK ? text(body, REFRESH_TOKEN) : null);
    buffered.copyBodyToResponse();
  }

  private static String clientId(HttpServletRequest request) {
    String authorization = request.getHeader("Authorization");
    if (authorization != null
        && authorization.regionMatches(/* ignoreCase= */ true, 0, "Basic ", 0, 6)) {
      try {
        String credentials =
            new String(
                Base64.getDecoder().decode(authorization.substring(6).trim()),
                StandardCharsets.UTF_8);
        int colon = credentials.indexOf(':');
        if (colon >= 0) {
          return URLDecoder.decode(credentials.substring(0, colon), StandardCharsets.UTF_8);
        }
      } catch (IllegalArgumentException e) {
        return ""; // not Base64 or not form-encoded: the server will say invalid_client
      }
    }
    return nullToEmpty(request.getParameter("client_id"));
  }

  private static @Nullable JsonNode parse(byte[] body) {
    if (body.length == 0) {
      return null;
    }
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      return null; // not JSON (an HTML error page, say): no error code to read
    }
  }

  private static @Nullable String text(@Nullable JsonNode body, String field) {
    JsonNode value = body == null ? null : body.get(field);
    return value == null || !value.isTextual() ? null : value.asText();
  }

  private static String nullToEmpty(@Nullable String value) {
    return value == null ? "" : value;
  }
}
