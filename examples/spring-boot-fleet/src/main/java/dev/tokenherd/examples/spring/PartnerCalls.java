package dev.tokenherd.examples.spring;

import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;

/** The application's one use of the partner API. */
@Component
public class PartnerCalls {
  private final RestClient partnerApi;

  /**
   * Creates the caller.
   *
   * @param partnerApi the partner API's client
   */
  public PartnerCalls(RestClient partnerApi) {
    this.partnerApi = partnerApi;
  }

  /**
   * Calls {@code GET /api/hello} with the fleet's token.
   *
   * @return the API's answer
   */
  public String hello() {
    return partnerApi.get().uri("/api/hello").retrieve().body(String.class);
  }
}
