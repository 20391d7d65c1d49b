package dev.tokenherd.coordinator.oauth2;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.coordinator.spi.TokenEndpointException;
import dev.tokenherd.coordinator.spi.TokenEndpointException.Kind;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/**
 * Failures that a loopback test server cannot produce (DNS, TLS, connect timeouts), classified
 * directly. The HTTP-level rows are covered end to end in {@link
 * OAuth2TokenEndpointClassificationTest}.
 */
final class FailureClassifierTest {
  private static final String TARGET = "https://idp.example/token";

  private static TokenEndpointException classify(Throwable failure) {
    return FailureClassifier.fromFailure(new CompletionException(failure), TARGET);
  }

  @Test
  void fromFailure_connectTimeout_isTransient() {
    var failure = classify(new HttpConnectTimeoutException("HTTP connect timed out"));

    assertThat(failure.kind()).isEqualTo(Kind.TRANSIENT);
    assertThat(failure.getCause()).isInstanceOf(HttpConnectTimeoutException.class);
  }

  @Test
  void fromFailure_connectExceptionWrappingConnectTimeout_isTransient() {
    var cause = new ConnectException("HTTP connect timed out");
    cause.initCause(new HttpConnectTimeoutException("HTTP connect timed out"));

    assertThat(classify(cause).kind()).isEqualTo(Kind.TRANSIENT);
  }

  @Test
  void fromFailure_requestTimeout_isAmbiguous() {
    var failure = classify(new HttpTimeoutException("request timed out"));

    assertThat(failure.kind()).isEqualTo(Kind.AMBIGUOUS);
    assertThat(failure.getMessage()).contains("may have acted");
  }

  @Test
  void fromFailure_unknownHost_isTransient() {
    assertThat(classify(new UnknownHostException("idp.example")).kind()).isEqualTo(Kind.TRANSIENT);
  }

  @Test
  void fromFailure_unresolvedAddressInsideConnectException_isTransient() {
    var cause = new ConnectException();
    cause.initCause(new UnresolvedAddressException());

    var failure = classify(cause);

    assertThat(failure.kind()).isEqualTo(Kind.TRANSIENT);
    assertThat(failure.getMessage()).contains("could not resolve");
  }

  @Test
  void fromFailure_bareUnresolvedAddress_isTransient() {
    assertThat(classify(new UnresolvedAddressException()).kind()).isEqualTo(Kind.TRANSIENT);
  }

  @Test
  void fromFailure_connectionRefused_isTransient() {
    assertThat(classify(new ConnectException("Connection refused")).kind())
        .isEqualTo(Kind.TRANSIENT);
  }

  @Test
  void fromFailure_noRouteToHost_isTransient() {
    assertThat(classify(new NoRouteToHostException()).kind()).isEqualTo(Kind.TRANSIENT);
  }

  @Test
  void fromFailure_tlsHandshake_isTransient() {
    var failure = classify(new SSLHandshakeException("PKIX path building failed"));

    assertThat(failure.kind()).isEqualTo(Kind.TRANSIENT);
    assertThat(failure.getMessage()).contains("TLS handshake");
  }

  @Test
  void fromFailure_tlsHandshakeWrappedInIoException_isTransient() {
    assertThat(classify(new IOException(new SSLHandshakeException("bad cert"))).kind())
        .isEqualTo(Kind.TRANSIENT);
  }

  @Test
  void fromFailure_connectionReset_isAmbiguous() {
    assertThat(classify(new SocketException("Connection reset")).kind()).isEqualTo(Kind.AMBIGUOUS);
  }

  @Test
  void fromFailure_eofReadingHeaders_isAmbiguous() {
    assertThat(classify(new EOFException("EOF reached while reading")).kind())
        .isEqualTo(Kind.AMBIGUOUS);
  }

  @Test
  void fromFailure_nonIoFailure_isAmbiguous() {
    var failure = classify(new IllegalStateException("broken client"));

    assertThat(failure.kind()).isEqualTo(Kind.AMBIGUOUS);
    assertThat(failure.getMessage()).contains("unexpectedly");
  }

  @Test
  void fromFailure_anyFailure_hasNoStatusErrorOrRetryAfter() {
    var failure = classify(new ConnectException());

    assertThat(failure.httpStatus()).isZero();
    assertThat(failure.error()).isNull();
    assertThat(failure.retryAfter()).isNull();
  }

  @Test
  void unwrap_nestedFutureWrappers_returnsTheRealCause() {
    var real = new ConnectException();

    assertThat(
            FailureClassifier.unwrap(
                new CompletionException(new ExecutionException(new CompletionException(real)))))
        .isSameAs(real);
    assertThat(FailureClassifier.unwrap(new CompletionException("no cause", null)))
        .isInstanceOf(CompletionException.class);
  }
}
