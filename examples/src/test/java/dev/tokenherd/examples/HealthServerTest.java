package dev.tokenherd.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenherd.examples.HealthServer.Response;
import dev.tokenherd.examples.HealthServer.Status;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The endpoint's answers, without a socket; {@link HealthEndpointIT} serves them over HTTP. */
final class HealthServerTest {
  @Test
  void healthy_is200_withTheDetail() {
    assertThat(HealthServer.respond("GET", "/health", () -> Status.up("serving")))
        .isEqualTo(new Response(200, "ok: serving\n"));
    assertThat(HealthServer.respond("HEAD", "/health", () -> Status.up("serving")).code())
        .isEqualTo(200);
  }

  @Test
  void unhealthy_is503_withTheDetail() {
    assertThat(HealthServer.respond("GET", "/health", () -> Status.down("stopping")))
        .isEqualTo(new Response(503, "unavailable: stopping\n"));
  }

  @Test
  void aCheckThatThrows_is503_namingTheExceptionOnly() {
    Response response =
        HealthServer.respond(
            "GET",
            "/health",
            () -> {
              throw new IllegalStateException("details that stay in the process");
            });

    assertThat(response.code()).isEqualTo(503);
    assertThat(response.body())
        .isEqualTo("unavailable: the health check failed: IllegalStateException\n");
  }

  @Test
  void otherPaths_are404_andOtherMethods405_withoutAskingTheCheck() {
    assertThat(HealthServer.respond("GET", "/", HealthServerTest::neverAsked).code())
        .isEqualTo(404);
    assertThat(HealthServer.respond("GET", "/health/", HealthServerTest::neverAsked).code())
        .isEqualTo(404);
    assertThat(HealthServer.respond("POST", "/health", HealthServerTest::neverAsked).code())
        .isEqualTo(405);
    assertThat(HealthServer.respond("DELETE", "/health", HealthServerTest::neverAsked).code())
        .isEqualTo(405);
  }

  @Test
  void port_isTheFlag_elseTheVariable_elseNone() {
    Function<String, String> variable = Map.of(HealthServer.PORT_VARIABLE, "8081")::get;
    Function<String, String> empty = Map.of(HealthServer.PORT_VARIABLE, " ")::get;
    Function<String, String> none = Map.<String, String>of()::get;

    assertThat(HealthServer.port(args("--health-port", "9000"), variable)).isEqualTo(9000);
    assertThat(HealthServer.port(args(), variable)).isEqualTo(8081);
    assertThat(HealthServer.port(args(), empty)).isNull();
    assertThat(HealthServer.port(args(), none)).isNull();
    assertThat(HealthServer.port(args("--health-port", "0"), none)).isZero();
  }

  @Test
  void port_notANumber_isAUsageError() {
    Function<String, String> none = Map.<String, String>of()::get;
    Function<String, String> bad = Map.of(HealthServer.PORT_VARIABLE, "http")::get;

    assertThatThrownBy(() -> HealthServer.port(args("--health-port", "70000"), none))
        .isInstanceOf(UsageException.class)
        .hasMessage("--health-port must be 0-65535: 70000");
    assertThatThrownBy(() -> HealthServer.port(args(), bad))
        .isInstanceOf(UsageException.class)
        .hasMessage("TOKENHERD_HEALTH_PORT must be a port number 0-65535: http");
  }

  private static Args args(String... arguments) {
    return Args.parse(List.of(arguments), Set.of("health-port"), Set.of());
  }

  private static Status neverAsked() {
    throw new AssertionError("the check was asked");
  }
}
