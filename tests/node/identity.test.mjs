// @azure/identity 4 (MSAL Node) signs in to learninggraph's token service unchanged.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { AuthenticationRequiredError } from "@azure/identity";

import { GRAPH_SCOPES, appCredential, claimsOf, server, userCredential } from "./support.mjs";

const ISSUER = `${server.origin}/${server.tenantId}/v2.0`;

async function graphStatus(token, path) {
  const response = await fetch(`${server.graphUrl}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  return response.status;
}

describe("@azure/identity against the token service", () => {
  it("discovery names the authority's own origin as the issuer, as MSAL Node requires", async () => {
    const response = await fetch(`${server.origin}/${server.tenantId}/v2.0/.well-known/openid-configuration`);
    const document = await response.json();

    assert.equal(document.issuer, ISSUER);
    assert.equal(document.token_endpoint, `${server.origin}/${server.tenantId}/oauth2/v2.0/token`);
  });

  it("ClientSecretCredential gets an application token that Graph accepts", async () => {
    const access = await appCredential().getToken(GRAPH_SCOPES);

    const claims = claimsOf(access.token);
    assert.equal(claims.iss, ISSUER);
    assert.equal(claims.tid, server.tenantId);
    assert.equal(claims.appid, server.clientId);
    assert.ok(claims.roles.includes("LearningContent.ReadWrite.All"));
    assert.ok(access.expiresOnTimestamp > Date.now());
    assert.equal(await graphStatus(access.token, "/employeeExperience/learningCourseActivities"), 200);
  });

  it("UsernamePasswordCredential gets a delegated token that Graph accepts for /me", async () => {
    const access = await userCredential().getToken(GRAPH_SCOPES);

    const claims = claimsOf(access.token);
    assert.equal(claims.iss, ISSUER);
    assert.equal(claims.oid, server.userId);
    assert.ok(claims.scp.split(" ").includes("LearningProvider.ReadWrite"));
    assert.equal(await graphStatus(access.token, "/me/employeeExperience/learningCourseActivities"), 200);
  });

  it("a wrong client secret is refused with Entra's error code and description", async () => {
    // MSAL Node reports a refused client secret as AuthenticationRequiredError, as it does against Entra ID.
    await assert.rejects(appCredential("not-the-secret").getToken(GRAPH_SCOPES), (error) => {
      assert.ok(error instanceof AuthenticationRequiredError, `${error.name}: ${error.message}`);
      assert.match(error.message, /invalid_client/);
      assert.match(error.message, /AADSTS7000215: Invalid client secret provided\./);
      return true;
    });
  });
});
