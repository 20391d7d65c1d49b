package dev.tokenherd.examples.spring;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Where the partner API is, {@code partner.*}.
 *
 * @param baseUrl the API's base URL
 * @param registration the OAuth 2.0 client registration its tokens come from
 * @param principal for an authorization_code registration: the user the worker acts for (whose
 *     login seeded the credential); unset for client_credentials
 */
@ConfigurationProperties("partner")
public record PartnerSettings(
    String baseUrl, @DefaultValue("partner") String registration, @Nullable String principal) {}
