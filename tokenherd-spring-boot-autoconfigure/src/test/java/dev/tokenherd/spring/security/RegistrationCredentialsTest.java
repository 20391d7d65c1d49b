package dev.tokenherd.spring.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.CredentialState;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.spring.security.RegistrationCredentials.Credential;
import dev.tokenherd.testkit.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.core.AuthorizationGrantType;

/** Users' credentials left idle stop being served by this instance; the store keeps them. */
final class RegistrationCredentialsTest {
  private static final Duration IDLE = Duration.ofMinutes(30);

  private final MutableClock clock = MutableClock.at(Instant.parse("2030-01-01T00:00:00Z"));
  private final TokenHerd herd = TokenHerd.builder().build();
  private final RegistrationCredentials credentials =
      new RegistrationCredentials(herd, clock, IDLE);
  private final ClientRegistration crm =
      ClientRegistration.withRegistrationId("crm")
          .clientId("client")
          .clientSecret("secret")
          .authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE)
          .redirectUri("http://127.0.0.1/login/oauth2/code/crm")
          .authorizationUri("http://127.0.0.1:1/authorize")
          .tokenUri("http://127.0.0.1:1/token")
          .build();

  @AfterEach
  void close() {
    herd.close();
  }

  @Test
  void aUserIdleLongerThanTheTimeout_isReleased_andServedAgainFromTheStoreOnTheirNextCall() {
    Credential alice = credentials.credential(crm, "alice");
    alice
        .coordinator()
        .seed(
            TokenSet.builder()
                .accessToken("alice-access")
                .refreshToken("alice-refresh")
                .issuedAt(Instant.now())
                .expiresAt(Instant.now().plus(Duration.ofHours(2)))
                .build())
        .join();

    clock.advance(IDLE.minusMinutes(1));
    assertThat(credentials.credential(crm, "bob")).isNotNull();
    assertThat(credentials.credentials()).hasSize(2);

    clock.advance(Duration.ofMinutes(2)); // alice: 31 minutes idle; bob: 2
    credentials.credential(crm, "bob");

    assertThat(credentials.credentials()).extracting(Credential::principalName).containsOnly("bob");
    assertThat(alice.coordinator().state().status()).isEqualTo(CredentialState.Status.CLOSED);
    Credential again = credentials.credential(crm, "alice");
    assertThat(again).isNotSameAs(alice);
    assertThat(again.coordinator().accessToken()).isEqualTo("alice-access");
  }
}
