// What every Node client test shares: the server and tenant it is given, Azure identity credentials set up
// exactly as the README tells a Node vendor, and the bodies of the provider flow.
import { ClientSecretCredential, UsernamePasswordCredential } from "@azure/identity";

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run these tests through tests/node/test_node_clients.py`);
  }
  return value;
}

export const server = {
  // https://127.0.0.1:PORT, the authority host and the Graph host at once.
  origin: required("LG_BASE_URL"),
  tenantId: required("LG_TENANT_ID"),
  clientId: required("LG_CLIENT_ID"),
  clientSecret: required("LG_CLIENT_SECRET"),
  username: required("LG_USERNAME"),
  password: required("LG_PASSWORD"),
  userId: required("LG_USER_ID"),
};
server.graphUrl = `${server.origin}/v1.0`;
// The allowed-hosts settings of both Graph SDKs compare host names without the port.
server.hostName = new URL(server.origin).hostname;
export const GRAPH_SCOPES = ["https://graph.microsoft.com/.default"];

const identityOptions = { authorityHost: server.origin, disableInstanceDiscovery: true };

/** The application: client credentials, as a sync job signs in. */
export function appCredential(secret = server.clientSecret) {
  return new ClientSecretCredential(server.tenantId, server.clientId, secret, identityOptions);
}

/** The user: the password grant, for delegated calls (providers, /me). */
export function userCredential() {
  return new UsernamePasswordCredential(
    server.tenantId,
    server.clientId,
    server.username,
    server.password,
    identityOptions,
  );
}

/** A JWT's claims, unverified: what the token says about itself. */
export function claimsOf(token) {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
}

const LOGO = "https://contoso.example/logo.png";

export function providerBody(displayName) {
  return {
    displayName,
    loginWebUrl: "https://contoso.example/login",
    longLogoWebUrlForDarkTheme: LOGO,
    longLogoWebUrlForLightTheme: LOGO,
    squareLogoWebUrlForDarkTheme: LOGO,
    squareLogoWebUrlForLightTheme: LOGO,
    isCourseActivitySyncEnabled: false,
  };
}

export function contentBody(title) {
  return {
    title,
    contentWebUrl: `https://contoso.example/courses/${encodeURIComponent(title)}`,
    languageTag: "en-us",
    duration: "PT1H",
  };
}

export function assignmentBody(contentId, externalId) {
  return {
    "@odata.type": "#microsoft.graph.learningAssignment",
    learnerUserId: server.userId,
    learningContentId: contentId,
    assignmentType: "required",
    status: "notStarted",
    assignedDateTime: "2024-05-11T22:57:17Z",
    dueDateTime: { dateTime: "2024-09-22T16:05:00.0000000", timeZone: "UTC" },
    notes: { contentType: "text", content: "required assignment added for user" },
    externalcourseActivityId: externalId,
  };
}

export function selfInitiatedBody(contentId, externalId) {
  return {
    "@odata.type": "#microsoft.graph.learningSelfInitiatedCourse",
    learnerUserId: server.userId,
    learningContentId: contentId,
    status: "inProgress",
    startedDateTime: "2024-05-11T22:57:17Z",
    completionPercentage: 10,
    externalcourseActivityId: externalId,
  };
}

/** A name no other test file (they run in parallel against one tenant) uses. */
export function unique(prefix) {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}

// Graph's documented answers, as learninggraph must send them.
export const BAD_REGISTRATION = {
  status: 400,
  code: "badRequest",
  message:
    "There was an issue with your request. Make sure the registrationId you entered is valid or registered for your tenant.",
};
// The get page prints a typographic apostrophe, the delete page a plain one.
export const UNKNOWN_ACTIVITY = { status: 404, code: "notFound", message: /^The requested assignment ID doesn['’]t exist\.$/ };
