package dev.tokenherd.coordinator.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;

/**
 * A scripted protected resource on 127.0.0.1 (MockWebServer, real HTTP), for tests of the HTTP
 * client adapters that need answers the fake authorization server's own resource does not give: a
 * 401 to a valid token, a challenge of another scheme, a redirect.
 */
public final class ScriptedResource implements AutoCloseable {
  private final MockWebServer server = new MockWebServer();

  public ScriptedResource() {
    try {
      server.start(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The URI of {@code path} on this server. */
  public URI uri(String path) {
    return server.url(path).uri();
  }

  /**
   * Answers the next request with {@code code}, the body {@code "body <code>"} and {@code headers}
   * (name, value, name, value, ...).
   */
  public void enqueue(int code, String... headers) {
    MockResponse.Builder response = new MockResponse.Builder().code(code).body("body " + code);
    for (int i = 0; i < headers.length; i += 2) {
      response.addHeader(headers[i], headers[i + 1]);
    }
    server.enqueue(response.build());
  }

  /** The next request received, waiting up to 5 s for it. */
  public RecordedRequest takeRequest() {
    try {
      RecordedRequest request = server.takeRequest(5, TimeUnit.SECONDS);
      assertThat(request).as("a request reached the resource").isNotNull();
      return request;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The {@code Authorization} header of the next request received, or {@code null} if none. */
  public String takeAuthorization() {
    return takeRequest().getHeaders().get("Authorization");
  }

  public int requestCount() {
    return server.getRequestCount();
  }

  @Override
  public void close() {
    server.close();
  }
}
