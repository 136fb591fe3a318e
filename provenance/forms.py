from django import forms


class ModelForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    artifact_cid = forms.CharField(
        label="Artifact CID",
        max_length=120,
        required=False,
        help_text="Optional: the IPFS CID of the trained weights.",
    )
