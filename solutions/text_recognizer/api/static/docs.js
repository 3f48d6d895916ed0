// The API's documentation page: Swagger UI reading this service's own /openapi.json.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null, // the default validator is a remote service: stay offline
});
