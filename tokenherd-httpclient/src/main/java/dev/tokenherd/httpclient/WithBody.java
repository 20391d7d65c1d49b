package dev.tokenherd.httpclient;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.ResponseInfo;
import java.util.Optional;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;

/**
 * A response with another body: the first attempt's response, whose body the client received as a
 * {@link FirstAttempt}, with the caller's body. Also the {@link ResponseInfo} that the caller's
 * body handler is given for a body replayed from memory.
 *
 * @param <T> the caller's body type
 */
final class WithBody<T> implements HttpResponse<T>, ResponseInfo {
  private final HttpResponse<?> response;
  private final @Nullable T body;

  WithBody(HttpResponse<?> response, @Nullable T body) {
    this.response = response;
    this.body = body;
  }

  @Override
  public int statusCode() {
    return response.statusCode();
  }

  @Override
  public HttpRequest request() {
    return response.request();
  }

  // The client gives the responses before this one (redirects) no body, whatever the type says.
  @SuppressWarnings("unchecked")
  @Override
  public Optional<HttpResponse<T>> previousResponse() {
    return (Optional<HttpResponse<T>>) (Optional<?>) response.previousResponse();
  }

  @Override
  public HttpHeaders headers() {
    return response.headers();
  }

  @Override
  public @Nullable T body() {
    return body;
  }

  @Override
  public Optional<SSLSession> sslSession() {
    return response.sslSession();
  }

  @Override
  public URI uri() {
    return response.uri();
  }

  @Override
  public HttpClient.Version version() {
    return response.version();
  }

  @Override
  public String toString() {
    return response.toString();
  }
}
