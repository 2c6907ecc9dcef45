//! `POST /v1/job` (create a job) is `multipart/form-data`, which progenitor
//! does not generate (the overlay removes it from generation and says so).
//! This is the one hand-written call: it takes the generated
//! [`types::CreateJobForm`], answers the generated [`types::JobResponse`], and
//! goes through the same runtime hooks as every generated call.

use progenitor_client::{ClientHooks, OperationInfo};

use crate::generated::{Client, Error, ResponseValue, types};

/// The hand-written endpoint, for the runtime: never sent again once it may
/// have reached Matpool, which has no idempotency key.
pub(crate) const ENDPOINTS: &[gpujobs_runtime::Endpoint] = &[gpujobs_runtime::Endpoint {
    id: "create_job",
    method: "POST",
    path: "/v1/job",
    retry: gpujobs_runtime::Retry::Never,
}];

impl Client {
    /// 新增任务 — creates a job.
    ///
    /// Sends a `POST` request to `/v1/job` with each field of `form` as a
    /// multipart text part (absent fields are left out). Like every Matpool
    /// call, a refusal can arrive with HTTP 200 and `code != 0`.
    ///
    /// ```no_run
    /// # async fn demo(client: gpujobs_matpool::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use gpujobs_matpool::types::CreateJobForm;
    /// let form = CreateJobForm {
    ///     spec: r#"{"gpuName":"NVIDIA A16"}"#.into(),
    ///     agent_domain: 0,
    ///     from_image_id: Some(633839),
    ///     cmd: Some("python train.py".into()),
    ///     envs: None, from_snapshot_id: None, remark: None, domain: None, ports: None,
    /// };
    /// let created = client.create_job(&form).await?.into_inner();
    /// assert_eq!(created.code, 0, "{}", created.msg);
    /// # Ok(()) }
    /// ```
    pub async fn create_job(
        &self,
        form: &types::CreateJobForm,
    ) -> Result<ResponseValue<types::JobResponse>, Error<()>> {
        let url = format!("{}/v1/job", self.baseurl);
        let mut request = self
            .client
            .post(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .multipart(multipart(form).map_err(Error::InvalidRequest)?)
            .build()?;
        let info = OperationInfo {
            operation_id: "create_job",
        };
        self.pre(&mut request, &info).await?;
        let result = self.exec(request, &info).await;
        self.post(&result, &info).await?;
        let response = result?;
        match response.status().as_u16() {
            200 => ResponseValue::from_response(response).await,
            _ => Err(Error::UnexpectedResponse(response)),
        }
    }
}

/// One text part per present field, named as on the wire.
fn multipart(form: &types::CreateJobForm) -> Result<reqwest::multipart::Form, String> {
    let fields = match serde_json::to_value(form) {
        Ok(serde_json::Value::Object(fields)) => fields,
        _ => {
            return Err("the create form is not an object".into());
        }
    };
    Ok(fields.into_iter().fold(
        reqwest::multipart::Form::new(),
        |parts, (name, value)| match value {
            serde_json::Value::Null => parts,
            serde_json::Value::String(text) => parts.text(name, text),
            other => parts.text(name, other.to_string()),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_present_field_becomes_a_part() {
        let form = types::CreateJobForm {
            spec: r#"{"gpuName":"NVIDIA A16"}"#.into(),
            agent_domain: 2,
            from_image_id: Some(633839),
            cmd: Some("nvidia-smi".into()),
            envs: None,
            from_snapshot_id: None,
            remark: None,
            domain: None,
            ports: None,
        };
        // reqwest cannot read a form back; its Debug output lists the part names.
        let body = format!("{:?}", multipart(&form).unwrap());
        assert!(
            body.contains("spec")
                && body.contains("agent_domain")
                && body.contains("from_image_id")
                && body.contains("cmd"),
            "{body}"
        );
        assert!(!body.contains("remark"), "{body}");
    }
}
